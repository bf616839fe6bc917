"""Sentences for the reason codes of rules.py, and labels of states and choices."""

from core.i18n import _, _l
from modules.quality_award.rules import (
    ApplicantKind,
    BonusUse,
    Reason,
    State,
    TrackingEvent,
)

REASONS = {
    "unknown_action": _l("“%(action)s” is not a step of the award procedure."),
    "wrong_state": _l(
        "The step “%(action)s” cannot be taken while the application is “%(state)s”."
    ),
    "survey_organisations_only": _l(
        "Only organisations take the customer satisfaction survey."
    ),
    "survey_missing": _l(
        "An organisation is evaluated only after its customer satisfaction survey."
    ),
    "opinion_required": _l("This step needs a written opinion or reason."),
    "not_in_zhuzhou": _l(
        "The organisation must be registered and operating in Zhuzhou."
    ),
    "operating_since_missing": _l(
        "Give the date since which the organisation has operated normally."
    ),
    "operation_too_short": _l(
        "The organisation needs %(years)s years of normal operation; operating "
        "since %(since)s, it may apply from %(from)s."
    ),
    "recent_major_accident": _l(
        "A major quality, safety, environmental or public-health accident on "
        "%(on)s lies within the last 5 years."
    ),
    "recent_violation": _l("A violation on %(on)s lies within the last 5 years."),
    "quality_work_since_missing": _l(
        "Give the date since which the applicant has done quality work."
    ),
    "quality_work_too_short": _l(
        "The applicant needs %(years)s years of quality work; working since "
        "%(since)s, they may apply from %(from)s."
    ),
    "individual_violation": _l(
        "The applicant has a violation of law, regulation or discipline (%(on)s)."
    ),
    "bad_credit": _l("A bad credit record is in force: %(summary)s."),
    "recent_win": _l(
        "The applicant won the award on %(won_on)s and may apply again from %(from)s."
    ),
    "quota_full": _l(
        "This cycle already has %(quota)s winners of this kind; no more may be awarded."
    ),
    "score_range": _l("A score must lie between %(min)s and %(max)s."),
    "anonymous_objection": _l(
        "An objection must give the objector's real name; anonymous objections "
        "are not accepted."
    ),
    "objection_reason_missing": _l("An objection must give its reason in writing."),
    "objection_evidence_missing": _l("An objection must come with evidence."),
    "objection_contact_missing": _l("An objection must give contact details."),
    "outside_tracking": _l(
        "Only events from %(awarded_on)s until before %(until)s (3 years after "
        "the award) can lead to revocation."
    ),
    "no_responsibility": _l(
        "An individual winner's award is revoked only when they bear direct or "
        "leadership responsibility."
    ),
    "notice_period": _l("The public notice must end after it starts."),
}

STATE_LABELS = {
    State.DRAFT: _l("Draft"),
    State.SUBMITTED: _l("Submitted"),
    State.PRE_REVIEWED: _l("County pre-review done"),
    State.NOT_ACCEPTED: _l("Not accepted"),
    State.ACCEPTED: _l("Accepted (material review)"),
    State.MATERIAL_CLOSED: _l("Not selected for on-site review"),
    State.ONSITE_REVIEW: _l("On-site review"),
    State.ONSITE_REVIEWED: _l("On-site review reported"),
    State.SURVEYED: _l("Satisfaction survey done"),
    State.NOT_SHORTLISTED: _l("Not on the candidate list"),
    State.CANDIDATE: _l("Candidate"),
    State.NOT_RECOMMENDED: _l("Not recommended"),
    State.RECOMMENDED: _l("Recommended winner"),
    State.IN_NOTICE: _l("In public notice"),
    State.DISQUALIFIED: _l("Disqualified"),
    State.APPROVED: _l("Approved by the mayor"),
    State.AWARDED: _l("Awarded"),
    State.REVOCATION_PENDING: _l("Revocation pending"),
    State.REVOKED: _l("Revoked"),
}

ACTION_LABELS = {
    "submit": _l("Submit the application"),
    "county_forward": _l("Sign the county opinion and forward"),
    "county_return": _l("Return to the applicant"),
    "accept": _l("Accept and publicise"),
    "refuse": _l("Refuse with a reason"),
    "select_onsite": _l("Select for on-site review"),
    "close_material": _l("Close after material review"),
    "record_onsite_report": _l("Record the on-site review report"),
    "record_survey": _l("Record the satisfaction survey"),
    "shortlist": _l("Put on the candidate list"),
    "not_shortlist": _l("Leave off the candidate list"),
    "recommend": _l("Recommend"),
    "not_recommend": _l("Do not recommend"),
    "publish_notice": _l("Publish the public notice"),
    "disqualify": _l("Disqualify"),
    "approve": _l("Approve (mayor)"),
    "announce": _l("Announce the award"),
    "start_revocation": _l("Start revocation"),
    "dismiss_revocation": _l("Dismiss the revocation"),
    "revoke": _l("Revoke the award"),
}

KIND_LABELS = {
    ApplicantKind.ORGANISATION: _l("Organisation"),
    ApplicantKind.INDIVIDUAL: _l("Individual"),
}

EVENT_LABELS = {
    TrackingEvent.MAJOR_ACCIDENT: _l("Major quality, safety or other accident"),
    TrackingEvent.FAILED_SPOT_CHECK: _l("Failed a quality spot check"),
    TrackingEvent.VERIFIED_COMPLAINT: _l("Verified complaint of a major problem"),
    TrackingEvent.EXPORT_QUALITY_INCIDENT: _l("Export quality incident"),
    TrackingEvent.SERIOUS_OPERATING_LOSS: _l("Serious operating loss"),
    TrackingEvent.NOT_SHARING_EXPERIENCE: _l("Did not share its quality experience"),
    TrackingEvent.SERIOUS_BAD_CREDIT: _l("Serious bad credit"),
    TrackingEvent.OTHER_SERIOUS_VIOLATION: _l("Other serious violation"),
    TrackingEvent.FRAUD: _l("Fraud"),
}

USE_LABELS = {
    BonusUse.QUALITY_IMPROVEMENT: _l("Continuous quality improvement"),
    BonusUse.STANDARD_SETTING: _l("Standard setting"),
    BonusUse.TECHNICAL_RESEARCH: _l("Technical research"),
    BonusUse.RESEARCH_DEVELOPMENT: _l("Research and development"),
    BonusUse.TRAINING: _l("Staff training"),
    BonusUse.LABORATORY: _l("Laboratory building"),
    BonusUse.EXPERIENCE_PROMOTION: _l("Promotion of experience"),
    BonusUse.OTHER: _l("Other use"),
}


INTAKE_LABELS = {
    "": _l("Awaiting intake"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
}

OUTCOME_LABELS = {
    "": "",
    "upheld": _l("Upheld"),
    "dismissed": _l("Dismissed"),
}

ENTRY_LABELS = {
    "payment": _l("Bonus payment"),
    "clawback": _l("Clawback"),
}


def describe(reason: Reason) -> str:
    """The reason as a sentence ending with its article."""
    params = dict(reason.params)
    if "state" in params:
        params["state"] = str(STATE_LABELS.get(params["state"], params["state"]))
    if "action" in params:
        params["action"] = str(ACTION_LABELS.get(params["action"], params["action"]))
    sentence = REASONS[reason.code] % params if params else str(REASONS[reason.code])
    return _("%(sentence)s (%(article)s)", sentence=sentence, article=reason.article)
