"""The Mayor's Quality Award rules (株政办发〔2019〕7号) as plain functions.

Nothing here touches the database or Flask. Reasons are returned as codes with
their article and parameters; ``texts.py`` turns them into sentences.
"""

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# art. 4: one award cycle every 3 years.
CYCLE_YEARS = 3
# art. 4: at most 5 organisations and 3 individuals per cycle; may stay vacant.
ORGANISATION_QUOTA = 5
INDIVIDUAL_QUOTA = 3
# art. 9(1): 5 years of normal operation without major accident or violation.
OPERATION_YEARS = 5
# art. 10(1): quality work for 8 years "以上", which includes 8.
QUALITY_WORK_YEARS = 8
# art. 11: no new application within 6 years of winning.
REAPPLY_BAN_YEARS = 6
# art. 25: 500,000 yuan per organisation, 100,000 yuan per individual, in fen.
ORGANISATION_BONUS_FEN = 500_000 * 100
INDIVIDUAL_BONUS_FEN = 100_000 * 100
# art. 32: winners are tracked for 3 years after the award.
TRACKING_YEARS = 3
# art. 36: the intake decision on an objection within 5 working days of receipt.
OBJECTION_INTAKE_WORKING_DAYS = 5
# Scores of material and on-site review are given in points on this range.
SCORE_MIN = Decimal("0")
SCORE_MAX = Decimal("100")
# Applicants rate on-site reviewers from 1 (poor) to 5 (excellent) (art. 31).
RATING_MIN = 1
RATING_MAX = 5


class ApplicantKind(enum.StrEnum):
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PRE_REVIEWED = "pre_reviewed"
    NOT_ACCEPTED = "not_accepted"
    ACCEPTED = "accepted"
    MATERIAL_CLOSED = "material_closed"
    ONSITE_REVIEW = "onsite_review"
    ONSITE_REVIEWED = "onsite_reviewed"
    SURVEYED = "surveyed"
    NOT_SHORTLISTED = "not_shortlisted"
    CANDIDATE = "candidate"
    NOT_RECOMMENDED = "not_recommended"
    RECOMMENDED = "recommended"
    IN_NOTICE = "in_notice"
    DISQUALIFIED = "disqualified"
    APPROVED = "approved"
    AWARDED = "awarded"
    REVOCATION_PENDING = "revocation_pending"
    REVOKED = "revoked"


# States in which the applicant is still in the running (eligibility re-checked).
RUNNING_STATES = frozenset(
    {
        State.DRAFT,
        State.SUBMITTED,
        State.PRE_REVIEWED,
        State.ACCEPTED,
        State.ONSITE_REVIEW,
        State.ONSITE_REVIEWED,
        State.SURVEYED,
        State.CANDIDATE,
        State.RECOMMENDED,
        State.IN_NOTICE,
        State.APPROVED,
    }
)
# States of a winner (the award stands until revoked).
WINNER_STATES = frozenset({State.AWARDED, State.REVOCATION_PENDING})


@dataclass(frozen=True)
class Transition:
    """One allowed step of the procedure: from which states, to which, by whom."""

    action: str
    sources: frozenset
    target: State
    permission: str
    article: str
    needs_opinion: bool = False
    organisations_only: bool = False


def _t(action, sources, target, permission, article, **extra) -> Transition:
    return Transition(action, frozenset(sources), target, permission, article, **extra)


# The procedure of art. 13-23 and the supervision of art. 32-33 and 37. The
# permission is the short name; services qualify it as "quality_award.<name>".
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # art. 14: the applicant files the declaration form.
        _t("submit", {State.DRAFT}, State.SUBMITTED, "apply", "art. 14"),
        # art. 15: the county market regulator signs its opinion and forwards.
        _t(
            "county_forward",
            {State.SUBMITTED},
            State.PRE_REVIEWED,
            "county_review",
            "art. 15",
            needs_opinion=True,
        ),
        # art. 15: or sends it back to the applicant to complete, with its opinion.
        _t(
            "county_return",
            {State.SUBMITTED},
            State.DRAFT,
            "county_review",
            "art. 15",
            needs_opinion=True,
        ),
        # art. 16: the office accepts and publicises ...
        _t("accept", {State.PRE_REVIEWED}, State.ACCEPTED, "office", "art. 16"),
        # ... or refuses, giving the applicant its reason.
        _t(
            "refuse",
            {State.PRE_REVIEWED},
            State.NOT_ACCEPTED,
            "office",
            "art. 16",
            needs_opinion=True,
        ),
        # art. 18: the top scorers of material review go on to on-site review ...
        _t("select_onsite", {State.ACCEPTED}, State.ONSITE_REVIEW, "office", "art. 18"),
        # ... and the others are told their material review result.
        _t(
            "close_material",
            {State.ACCEPTED},
            State.MATERIAL_CLOSED,
            "office",
            "art. 18",
            needs_opinion=True,
        ),
        # art. 19: the on-site review team's report.
        _t(
            "record_onsite_report",
            {State.ONSITE_REVIEW},
            State.ONSITE_REVIEWED,
            "office",
            "art. 19",
            needs_opinion=True,
        ),
        # art. 20: customer satisfaction survey, organisations only.
        _t(
            "record_survey",
            {State.ONSITE_REVIEWED},
            State.SURVEYED,
            "office",
            "art. 20",
            needs_opinion=True,
            organisations_only=True,
        ),
        # art. 21: comprehensive evaluation puts the applicant on the candidate list
        _t(
            "shortlist",
            {State.ONSITE_REVIEWED, State.SURVEYED},
            State.CANDIDATE,
            "office",
            "art. 21",
        ),
        _t(
            "not_shortlist",
            {State.ONSITE_REVIEWED, State.SURVEYED},
            State.NOT_SHORTLISTED,
            "office",
            "art. 21",
            needs_opinion=True,
        ),
        # art. 22: the committee's vote decides the recommended winners.
        _t("recommend", {State.CANDIDATE}, State.RECOMMENDED, "committee", "art. 22"),
        _t(
            "not_recommend",
            {State.CANDIDATE},
            State.NOT_RECOMMENDED,
            "committee",
            "art. 22",
        ),
        # art. 23: the recommended winners are publicly noticed.
        _t("publish_notice", {State.RECOMMENDED}, State.IN_NOTICE, "office", "art. 23"),
        # art. 23, 33, 37: a verified objection, fraud or non-cooperation
        # disqualifies an applicant who has not yet won.
        _t(
            "disqualify",
            RUNNING_STATES - {State.DRAFT},
            State.DISQUALIFIED,
            "committee",
            "art. 23, 33, 37",
            needs_opinion=True,
        ),
        # art. 23: the mayor approves those who passed the public notice.
        _t("approve", {State.IN_NOTICE}, State.APPROVED, "mayor", "art. 23"),
        # art. 23, 24: the announcement makes the winner.
        _t("announce", {State.APPROVED}, State.AWARDED, "office", "art. 23, 24"),
        # art. 32: a tracked event starts the revocation procedure.
        _t(
            "start_revocation",
            {State.AWARDED},
            State.REVOCATION_PENDING,
            "office",
            "art. 32",
            needs_opinion=True,
        ),
        _t(
            "dismiss_revocation",
            {State.REVOCATION_PENDING},
            State.AWARDED,
            "committee",
            "art. 32",
            needs_opinion=True,
        ),
        # art. 32, 33, 37: the committee has the city revoke the award.
        _t(
            "revoke",
            {State.AWARDED, State.REVOCATION_PENDING},
            State.REVOKED,
            "committee",
            "art. 32, 33, 37",
            needs_opinion=True,
        ),
    )
}


@dataclass(frozen=True)
class Reason:
    """Why something is refused: a code, the article, and message parameters."""

    code: str
    article: str
    params: dict = field(default_factory=dict)


def check_transition(
    action: str, state: State, kind: ApplicantKind, opinion: str
) -> list[Reason]:
    """Reasons the transition `action` cannot be taken from `state` (none: allowed)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return [Reason("unknown_action", "art. 13", {"action": action})]
    reasons = []
    if state not in transition.sources:
        reasons.append(
            Reason(
                "wrong_state",
                transition.article,
                {"action": action, "state": str(state)},
            )
        )
    # art. 20: only organisations are surveyed for customer satisfaction.
    if transition.organisations_only and kind != ApplicantKind.ORGANISATION:
        reasons.append(Reason("survey_organisations_only", "art. 20"))
    # art. 21: an organisation is evaluated only once its survey is in.
    if (
        action == "shortlist"
        and kind == ApplicantKind.ORGANISATION
        and state != State.SURVEYED
    ):
        reasons.append(Reason("survey_missing", "art. 20, 21"))
    if transition.needs_opinion and not (opinion or "").strip():
        reasons.append(Reason("opinion_required", transition.article))
    return reasons


def allowed_actions(state: State, kind: ApplicantKind) -> list[str]:
    """Actions whose source states include `state` for this kind of applicant."""
    return [
        t.action
        for t in TRANSITIONS.values()
        if state in t.sources
        and not (t.organisations_only and kind != ApplicantKind.ORGANISATION)
    ]


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls back to the 28th."""
    # Past the calendar's ends the answer is "out of range" (OverflowError, as
    # date arithmetic raises), which the API answers as the caller's bad input.
    if not date.min.year <= day.year + years <= date.max.year:
        raise OverflowError(f"year {day.year + years} is out of range")
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_cycle_year(last_cycle_year: int | None, wanted: int) -> bool:
    """Whether a cycle may be held in `wanted` given the previous one (art. 4)."""
    # art. 4: "每 3 年评选一次" - cycles are 3 years apart.
    return last_cycle_year is None or wanted - last_cycle_year >= CYCLE_YEARS


@dataclass(frozen=True)
class ApplicantFacts:
    """What eligibility is decided on; dates are business dates."""

    kind: ApplicantKind
    on: date
    registered_in_zhuzhou: bool = True
    operating_since: date | None = None
    quality_work_since: date | None = None
    last_major_accident_on: date | None = None
    last_violation_on: date | None = None
    adverse_credit: tuple = ()
    previous_wins: tuple = ()


def eligibility_reasons(facts: ApplicantFacts) -> list[Reason]:
    """Every condition of art. 9-11 the applicant fails; empty means eligible."""
    reasons: list[Reason] = []
    if facts.kind == ApplicantKind.ORGANISATION:
        # art. 9(1): registered and operating in Zhuzhou.
        if not facts.registered_in_zhuzhou:
            reasons.append(Reason("not_in_zhuzhou", "art. 9(1)"))
        # art. 9(1): 5 years of normal operation; exactly 5 years suffices.
        if facts.operating_since is None:
            reasons.append(Reason("operating_since_missing", "art. 9(1)"))
        elif add_years(facts.operating_since, OPERATION_YEARS) > facts.on:
            reasons.append(
                Reason(
                    "operation_too_short",
                    "art. 9(1)",
                    {
                        "years": OPERATION_YEARS,
                        "since": facts.operating_since.isoformat(),
                        "from": add_years(
                            facts.operating_since, OPERATION_YEARS
                        ).isoformat(),
                    },
                )
            )
        window_start = add_years(facts.on, -OPERATION_YEARS)
        # art. 9(1): no major quality, safety, environmental or public-health
        # accident in the last 5 years.
        if (
            facts.last_major_accident_on is not None
            and window_start < facts.last_major_accident_on <= facts.on
        ):
            reasons.append(
                Reason(
                    "recent_major_accident",
                    "art. 9(1)",
                    {"on": facts.last_major_accident_on.isoformat()},
                )
            )
        # art. 9(1): no violation of law or discipline in the same 5 years.
        if (
            facts.last_violation_on is not None
            and window_start < facts.last_violation_on <= facts.on
        ):
            reasons.append(
                Reason(
                    "recent_violation",
                    "art. 9(1)",
                    {"on": facts.last_violation_on.isoformat()},
                )
            )
        credit_article = "art. 9(4)"
    else:
        # art. 10(1): 8 years "以上" of quality work, 8 itself included.
        if facts.quality_work_since is None:
            reasons.append(Reason("quality_work_since_missing", "art. 10(1)"))
        elif add_years(facts.quality_work_since, QUALITY_WORK_YEARS) > facts.on:
            reasons.append(
                Reason(
                    "quality_work_too_short",
                    "art. 10(1)",
                    {
                        "years": QUALITY_WORK_YEARS,
                        "since": facts.quality_work_since.isoformat(),
                        "from": add_years(
                            facts.quality_work_since, QUALITY_WORK_YEARS
                        ).isoformat(),
                    },
                )
            )
        # art. 10(4): no violation of law, regulation or discipline at all.
        if facts.last_violation_on is not None and facts.last_violation_on <= facts.on:
            reasons.append(
                Reason(
                    "individual_violation",
                    "art. 10(4)",
                    {"on": facts.last_violation_on.isoformat()},
                )
            )
        credit_article = "art. 10(4)"
    # art. 9(4), 10(4): no bad credit record in force.
    for summary in facts.adverse_credit:
        reasons.append(Reason("bad_credit", credit_article, {"summary": summary}))
    # art. 11: a winner may apply again only from the 6th anniversary of winning.
    for won_on in facts.previous_wins:
        free_from = add_years(won_on, REAPPLY_BAN_YEARS)
        if won_on <= facts.on < free_from:
            reasons.append(
                Reason(
                    "recent_win",
                    "art. 11",
                    {"won_on": won_on.isoformat(), "from": free_from.isoformat()},
                )
            )
    return reasons


def quota_for(kind: ApplicantKind) -> int:
    """Winners allowed per cycle for this kind of applicant (art. 4)."""
    return (
        ORGANISATION_QUOTA if kind == ApplicantKind.ORGANISATION else INDIVIDUAL_QUOTA
    )


def quota_reason(kind: ApplicantKind, already: int) -> Reason | None:
    """Why one more winner of `kind` is refused when `already` hold the award."""
    # art. 4: at most 5 organisations and 3 individuals per cycle.
    quota = quota_for(kind)
    if already >= quota:
        return Reason("quota_full", "art. 4", {"quota": quota, "kind": str(kind)})
    return None


def bonus_fen(kind: ApplicantKind) -> int:
    """The bonus of one winner in fen (art. 25)."""
    if kind == ApplicantKind.ORGANISATION:
        return ORGANISATION_BONUS_FEN
    return INDIVIDUAL_BONUS_FEN


def score_reason(score: Decimal) -> Reason | None:
    """Why a review score is out of range, if it is."""
    if not (SCORE_MIN <= score <= SCORE_MAX):
        return Reason("score_range", "art. 18", {"min": SCORE_MIN, "max": SCORE_MAX})
    return None


def rank(scores: dict) -> list:
    """Application ids by average score, best first; ties keep the lower id first."""
    averages = {
        key: sum(values, Decimal(0)) / len(values)
        for key, values in scores.items()
        if values
    }
    return sorted(averages, key=lambda key: (-averages[key], key))


def average(values) -> Decimal | None:
    """The average of Decimal scores, or None when there are none."""
    values = list(values)
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class VoteTally:
    """One candidate's votes."""

    application_id: int
    kind: ApplicantKind
    in_favour: int
    eligible_members: int
    evaluation_score: Decimal = Decimal(0)


def recommended(tallies: list[VoteTally]) -> set[int]:
    """Candidates the committee's vote recommends (art. 22, within art. 4 quotas).

    A candidate needs votes in favour from more than half of the committee
    members entitled to vote on it (recused members are not counted). Within
    each kind, the most votes win the quota's places; ties go to the higher
    comprehensive evaluation score, then to the earlier application.
    """
    chosen: set[int] = set()
    for kind in ApplicantKind:
        passing = [
            t
            for t in tallies
            if t.kind == kind
            and t.eligible_members > 0
            and t.in_favour * 2 > t.eligible_members
        ]
        passing.sort(
            key=lambda t: (-t.in_favour, -t.evaluation_score, t.application_id)
        )
        chosen.update(t.application_id for t in passing[: quota_for(kind)])
    return chosen


def objection_reasons(
    name: str, reason: str, evidence: str, contact: str
) -> dict[str, str]:
    """Missing parts of an objection, field -> reason code (art. 35)."""
    # art. 35: real name, in writing, with evidence and contact details;
    # an anonymous objection is not accepted.
    missing = {}
    if not (name or "").strip():
        missing["objector_name"] = "anonymous_objection"
    if not (reason or "").strip():
        missing["reason"] = "objection_reason_missing"
    if not (evidence or "").strip():
        missing["evidence"] = "objection_evidence_missing"
    if not (contact or "").strip():
        missing["objector_contact"] = "objection_contact_missing"
    return missing


class TrackingEvent(enum.StrEnum):
    """The 8 events of art. 32 that start revocation, and fraud (art. 33)."""

    MAJOR_ACCIDENT = "major_accident"  # art. 32(1)
    FAILED_SPOT_CHECK = "failed_spot_check"  # art. 32(2)
    VERIFIED_COMPLAINT = "verified_complaint"  # art. 32(3)
    EXPORT_QUALITY_INCIDENT = "export_quality_incident"  # art. 32(4)
    SERIOUS_OPERATING_LOSS = "serious_operating_loss"  # art. 32(5)
    NOT_SHARING_EXPERIENCE = "not_sharing_experience"  # art. 32(6)
    SERIOUS_BAD_CREDIT = "serious_bad_credit"  # art. 32(7)
    OTHER_SERIOUS_VIOLATION = "other_serious_violation"  # art. 32(8)
    FRAUD = "fraud"  # art. 33


ART_32_EVENTS = frozenset(TrackingEvent) - {TrackingEvent.FRAUD}


def tracking_reason(
    event: TrackingEvent,
    kind: ApplicantKind,
    awarded_on: date,
    occurred_on: date,
    direct_responsibility: bool,
) -> Reason | None:
    """Why a tracked event cannot start revocation, or None when it does."""
    if event == TrackingEvent.FRAUD:
        # art. 33: fraud revokes whenever it comes to light.
        return None
    # art. 32: only events within 3 years of the award count.
    until = add_years(awarded_on, TRACKING_YEARS)
    if not (awarded_on <= occurred_on < until):
        return Reason(
            "outside_tracking",
            "art. 32",
            {"awarded_on": awarded_on.isoformat(), "until": until.isoformat()},
        )
    # art. 32: an individual winner must bear direct or leadership responsibility.
    if kind == ApplicantKind.INDIVIDUAL and not direct_responsibility:
        return Reason("no_responsibility", "art. 32")
    return None


class BonusUse(enum.StrEnum):
    """The uses of art. 27, and anything else (which is a diversion)."""

    QUALITY_IMPROVEMENT = "quality_improvement"
    STANDARD_SETTING = "standard_setting"
    TECHNICAL_RESEARCH = "technical_research"
    RESEARCH_DEVELOPMENT = "research_development"
    TRAINING = "training"
    LABORATORY = "laboratory"
    EXPERIENCE_PROMOTION = "experience_promotion"
    OTHER = "other"


PERMITTED_BONUS_USES = frozenset(BonusUse) - {BonusUse.OTHER}


def bonus_use_permitted(kind: ApplicantKind, use: BonusUse) -> bool:
    """Whether a reported use of the bonus is permitted (art. 27)."""
    # art. 27 binds the bonus of winning organisations; the text sets no use
    # for an individual's bonus.
    if kind == ApplicantKind.INDIVIDUAL:
        return True
    return use in PERMITTED_BONUS_USES


@dataclass(frozen=True)
class ClawbackState:
    """What a revoked fraudster still owes (art. 33)."""

    paid_fen: int
    recovered_fen: int
    trophy_returned: bool
    certificate_returned: bool

    @property
    def outstanding_fen(self) -> int:
        """Bonus still to be recovered."""
        return max(self.paid_fen - self.recovered_fen, 0)

    @property
    def settled(self) -> bool:
        """Whether bonus, trophy and certificate are all back (art. 33)."""
        return (
            self.outstanding_fen == 0
            and self.trophy_returned
            and self.certificate_returned
        )


def notice_end_reason(start: date, end: date) -> Reason | None:
    """Why a public notice period is malformed."""
    # art. 23 sets no length for the notice; it must at least end after it starts.
    if end <= start:
        return Reason("notice_period", "art. 23")
    return None


def reviewer_overall(
    office_score: Decimal | None, ratings: list[int]
) -> Decimal | None:
    """A reviewer's overall assessment: the office's score and applicants' ratings.

    art. 7(4) has the office assess reviewers; art. 31 feeds applicants'
    ratings back to it. Ratings (1-5) are scaled to 100 and weigh as much as
    the office's own score; either alone stands when the other is missing.
    """
    parts = []
    if office_score is not None:
        parts.append(Decimal(office_score))
    if ratings:
        parts.append(Decimal(sum(ratings)) * 20 / len(ratings))
    return average(parts)
