"""State changes of the quality award: load (scoped), apply the rules, save.

Every public function that changes state commits its own work and rolls back
when it raises, so a refused request writes nothing.
"""

import functools
import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from sqlalchemy import case, func, select

from core import audit, calendar
from core.context import current_actor
from core.dashboard import DueItem
from core.directory import credit_records_in_force
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.i18n import _
from core.models.departments import Department, DepartmentKind
from core.models.organisations import ADVERSE_CREDIT_KINDS, Organisation
from core.models.users import User
from core.permissions import require
from core.scoping import can_own, get_visible, scope
from core.timeutil import today_local
from core.validators import mask_phone, mask_resident_id, validate_resident_id
from modules.quality_award import rules
from modules.quality_award.models import (
    Application,
    BonusUseReport,
    Clawback,
    CommitteeMember,
    Conflict,
    Cycle,
    LedgerEntry,
    Objection,
    Rating,
    Reviewer,
    ReviewerAssessment,
    Score,
    SupportingDocument,
    TeamMember,
    TrackingRecord,
    Transition,
    Vote,
)
from modules.quality_award.rules import ApplicantKind, State, TrackingEvent
from modules.quality_award.texts import describe

log = logging.getLogger(__name__)

P = "quality_award."
STAGES = ("material", "onsite")
# Supporting files: what may be uploaded, by extension, with the bytes each
# kind of file starts with; the client's name is never used as a path.
ALLOWED_FILES = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "png": ("image/png", (b"\x89PNG",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
SECRET_KINDS = ("", "trade", "technical")


def transactional(function):
    """Commit the function's work, or roll everything back when it raises."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return result

    return wrapper


def _refuse(reasons: list[rules.Reason], field: str | None = None):
    """Raise one RuleViolation naming every reason with its article."""
    raise RuleViolation(
        " ".join(describe(r) for r in reasons),
        article="; ".join(dict.fromkeys(r.article for r in reasons)),
        field=field,
    )


def _required(data: dict, names) -> dict:
    errors = {}
    for name in names:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[name] = [_("This field is required.")]
    return errors


def _actor_name(user) -> str:
    return getattr(user, "username", None) or current_actor().name


# Cycles


@transactional
def create_cycle(user, year: int, title: str, opens_on: date, closes_on: date):
    """Open a new award cycle, three years after the previous one (art. 4)."""
    require(P + "office", user)
    errors = _required({"title": title}, ["title"])
    if closes_on < opens_on:
        errors["closes_on"] = [_("The cycle must close after it opens.")]
    if db.session.scalars(select(Cycle).where(Cycle.year == year)).first():
        errors["year"] = [_("A cycle for %(year)s exists already.", year=year)]
    if errors:
        raise InvalidInput(errors)
    last = db.session.scalar(select(func.max(Cycle.year)).where(Cycle.year < year))
    if not rules.next_cycle_year(last, year):
        raise RuleViolation(
            _(
                "The award is held every %(n)s years; the previous cycle was in "
                "%(last)s.",
                n=rules.CYCLE_YEARS,
                last=last,
            ),
            article="art. 4",
            field="year",
        )

    cycle = Cycle(year=year, title=title, opens_on=opens_on, closes_on=closes_on)
    db.session.add(cycle)
    db.session.flush()
    log.info("%s opened award cycle %s", _actor_name(user), year)
    return cycle


# Applications


def _parse_date(data: dict, name: str, errors: dict) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [
            _("“%(value)s” is not a date; write it as YYYY-MM-DD.", value=value)
        ]
        return None


@transactional
def create_application(user, data: dict) -> Application:
    """File a draft application for an organisation or an individual (art. 14)."""
    require(P + "apply", user)
    errors = _required(data, ["cycle_id", "kind", "contact_name", "achievements"])
    kind = data.get("kind")
    if kind and kind not in set(ApplicantKind):
        errors["kind"] = [_("Choose an organisation or an individual.")]
    cycle = db.session.get(Cycle, data["cycle_id"]) if data.get("cycle_id") else None
    if data.get("cycle_id") and cycle is None:
        errors["cycle_id"] = [_("No award cycle %(id)s exists.", id=data["cycle_id"])]

    dates = {
        name: _parse_date(data, name, errors)
        for name in (
            "operating_since",
            "quality_work_since",
            "last_major_accident_on",
            "last_violation_on",
        )
    }
    organisation = None
    resident_id = None
    department = None
    if kind == ApplicantKind.ORGANISATION:
        errors.update(_required(data, ["organisation_id", "quality_management"]))
        if data.get("organisation_id"):
            try:
                organisation = get_visible(Organisation, data["organisation_id"], user)
            except NotFound as error:
                errors["organisation_id"] = [error.detail]
        if organisation is not None:
            department = organisation.county
    elif kind == ApplicantKind.INDIVIDUAL:
        errors.update(_required(data, ["person_name", "resident_id", "department_id"]))
        if data.get("resident_id"):
            try:
                resident_id = validate_resident_id(data["resident_id"])
            except InvalidInput as error:
                errors.update(error.errors)
        if data.get("department_id"):
            department = db.session.get(Department, data["department_id"])
            if department is None or department.kind != DepartmentKind.COUNTY:
                errors["department_id"] = [
                    _("Choose the county where the applicant lives or works.")
                ]
            elif not can_own(user, department):
                errors["department_id"] = [
                    _("You may only file applications for your own county.")
                ]
    if errors:
        raise InvalidInput(errors)

    # One application per applicant and cycle.
    duplicate = select(Application.id).where(Application.cycle_id == cycle.id)
    if organisation is not None:
        duplicate = duplicate.where(Application.organisation_id == organisation.id)
        field = "organisation_id"
    else:
        duplicate = duplicate.where(Application.resident_id == resident_id)
        field = "resident_id"
    if db.session.scalar(duplicate) is not None:
        raise InvalidInput(
            {field: [_("This applicant has already applied in this cycle.")]}
        )

    application = Application(
        cycle=cycle,
        kind=ApplicantKind(kind),
        state=State.DRAFT,
        organisation=organisation,
        department_id=department.id,
        person_name=(data.get("person_name") or "").strip(),
        resident_id=resident_id,
        employer=data.get("employer") or "",
        phone=data.get("phone") or "",
        address=data.get("address") or "",
        contact_name=data["contact_name"].strip(),
        recommended_by=data.get("recommended_by") or "",
        achievements=data["achievements"],
        quality_management=data.get("quality_management") or "",
        shares_experience=bool(data.get("shares_experience")),
        registered_in_zhuzhou=bool(data.get("registered_in_zhuzhou", True)),
        personal_credit_issue=data.get("personal_credit_issue") or "",
        **dates,
    )
    db.session.add(application)
    db.session.flush()
    log.info(
        "%s filed application #%s (%s) in cycle %s",
        _actor_name(user),
        application.id,
        kind,
        cycle.year,
    )
    return application


def applicant_facts(application: Application, on: date) -> rules.ApplicantFacts:
    """The facts eligibility is decided on, read from the application and the core."""
    adverse = []
    if application.organisation_id is not None:
        # art. 9(4): good credit, from the core's shared credit records.
        adverse = [
            record.summary
            for record in credit_records_in_force(application.organisation_id, on)
            if record.kind in ADVERSE_CREDIT_KINDS
        ]
    if application.personal_credit_issue:
        adverse.append(application.personal_credit_issue)

    same = (
        Application.organisation_id == application.organisation_id
        if application.organisation_id is not None
        else Application.resident_id == application.resident_id
    )
    wins = db.session.scalars(
        select(Application.awarded_on).where(
            same, Application.id != application.id, Application.awarded_on.is_not(None)
        )
    ).all()
    return rules.ApplicantFacts(
        kind=application.kind,
        on=on,
        registered_in_zhuzhou=application.registered_in_zhuzhou,
        operating_since=application.operating_since,
        quality_work_since=application.quality_work_since,
        last_major_accident_on=application.last_major_accident_on,
        last_violation_on=application.last_violation_on,
        adverse_credit=tuple(adverse),
        previous_wins=tuple(wins),
    )


def eligibility(application: Application, on: date) -> list[str]:
    """Each failed eligibility condition as a sentence citing its article."""
    return [
        describe(r) for r in rules.eligibility_reasons(applicant_facts(application, on))
    ]


def _record(application, action, target, user, on, opinion) -> Transition:
    entry = Transition(
        application=application,
        action=action,
        from_state=application.state,
        to_state=target,
        actor_id=getattr(user, "id", None),
        actor_name=_actor_name(user),
        acted_on=on,
        opinion=opinion or "",
    )
    db.session.add(entry)
    application.state = target
    log.info(
        "%s took step %s on application #%s: %s -> %s",
        entry.actor_name,
        action,
        application.id,
        entry.from_state,
        target,
    )
    return entry


def _awarded_count(cycle_id: int, kind: ApplicantKind) -> int:
    return db.session.scalar(
        select(func.count(Application.id)).where(
            Application.cycle_id == cycle_id,
            Application.kind == kind,
            Application.state.in_(
                [State.APPROVED, State.AWARDED, State.REVOCATION_PENDING]
            ),
        )
    )


def _open_objections(application: Application) -> int:
    return sum(
        1
        for o in db.session.scalars(
            select(Objection).where(Objection.application_id == application.id)
        )
        if o.is_open
    )


def _step(user, application, action, opinion, on, extra, *, check_permission=True):
    """Take one step on an application already loaded within the user's scope."""
    transition = rules.TRANSITIONS.get(action)
    if transition is not None and check_permission:
        require(P + transition.permission, user)
    reasons = rules.check_transition(
        action, application.state, application.kind, opinion
    )
    if reasons:
        _refuse(reasons, field="action")

    # Eligibility is re-checked on every step that carries the applicant on
    # (art. 9-11), so a black-listing mid-procedure stops it.
    forward = transition.target in rules.RUNNING_STATES | {State.AWARDED}
    if forward and action != "county_return":
        failed = rules.eligibility_reasons(applicant_facts(application, on))
        if failed:
            _refuse(failed)

    extra = extra or {}
    errors = {}
    if action == "submit":
        application.submitted_on = on
    elif action == "accept":
        application.publicised_on = on
    elif action == "close_material":
        application.result_notified_on = on
    elif action == "record_onsite_report":
        application.onsite_report = opinion
        application.onsite_score = rules.average(
            s.score for s in _scores(application, "onsite")
        )
    elif action == "record_survey":
        value = _decimal(extra.get("satisfaction_score"), "satisfaction_score", errors)
        application.satisfaction_score = value
    elif action == "shortlist":
        value = _decimal(extra.get("evaluation_score"), "evaluation_score", errors)
        application.evaluation_score = value
    elif action == "publish_notice":
        ends = extra.get("notice_ends_on")
        if not isinstance(ends, date):
            errors["notice_ends_on"] = [_("Give the last day of the public notice.")]
        else:
            bad = rules.notice_end_reason(on, ends)
            if bad:
                _refuse([bad], field="notice_ends_on")
            application.notice_starts_on = on
            application.notice_ends_on = ends
    elif action == "approve":
        # art. 23: only those who passed the public notice go to the mayor.
        if application.notice_ends_on is None or on <= application.notice_ends_on:
            raise RuleViolation(
                _(
                    "The public notice runs until %(end)s; the mayor approves "
                    "after it ends.",
                    end=application.notice_ends_on,
                ),
                article="art. 23",
            )
        if _open_objections(application):
            raise RuleViolation(
                _("An objection against this applicant is still open."),
                article="art. 23, 36",
            )
        quota = rules.quota_reason(
            application.kind, _awarded_count(application.cycle_id, application.kind)
        )
        if quota:
            _refuse([quota])
        application.approved_on = on
    elif action == "announce":
        application.awarded_on = on
        # art. 24, 25: trophy, certificate and the bonus.
        application.bonus_fen = rules.bonus_fen(application.kind)
        application.trophy_given = True
        application.certificate_given = True
    elif action == "revoke":
        application.revoked_on = on
    if errors:
        raise InvalidInput(errors)
    return _record(application, action, transition.target, user, on, opinion)


def _decimal(value, name: str, errors: dict) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[name] = [_("Give a number between 0 and 100.")]
        return None
    if not number.is_finite() or rules.score_reason(number):
        errors[name] = [_("Give a number between 0 and 100.")]
        return None
    return number


@transactional
def take_step(user, application_id, action, opinion="", on=None, extra=None):
    """Take one step of the procedure on an application, as `user`."""
    application = get_visible(Application, application_id, user)
    on = on or today_local()
    return _step(user, application, action, opinion, on, extra)


def _scores(application, stage) -> list[Score]:
    return list(
        db.session.scalars(
            select(Score).where(
                Score.application_id == application.id, Score.stage == stage
            )
        )
    )


@transactional
def rank_material_review(user, cycle_id: int, onsite_places: int, on: date):
    """Rank accepted applications by material score; the top go on-site (art. 18)."""
    require(P + "office", user)
    if onsite_places < 1:
        raise InvalidInput({"onsite_places": [_("Give at least one place.")]})
    statement = select(Application).where(
        Application.cycle_id == cycle_id, Application.state == State.ACCEPTED
    )
    applications = list(db.session.scalars(scope(statement, Application, user)))
    unscored = [a for a in applications if not _scores(a, "material")]
    if unscored:
        raise RuleViolation(
            _(
                "Every accepted application needs material review scores before "
                "ranking; missing: %(names)s.",
                names=", ".join(a.applicant_name for a in unscored),
            ),
            article="art. 18",
        )
    by_id = {a.id: a for a in applications}
    scores = {a.id: [s.score for s in _scores(a, "material")] for a in applications}
    order = rules.rank(scores)
    for position, application_id in enumerate(order, start=1):
        application = by_id[application_id]
        application.material_score = rules.average(scores[application_id])
        if position <= onsite_places:
            _step(user, application, "select_onsite", "", on, None)
        else:
            opinion = _(
                "Material review score %(score)s, ranked %(rank)s of %(total)s.",
                score=application.material_score,
                rank=position,
                total=len(order),
            )
            _step(user, application, "close_material", opinion, on, None)
    return [by_id[i] for i in order]


# Reviewers, teams and recusal


def conflicted(application_id: int, user_id: int) -> bool:
    """Whether the person has a conflict of interest with the applicant (art. 30)."""
    return (
        db.session.scalar(
            select(Conflict.id).where(
                Conflict.application_id == application_id, Conflict.user_id == user_id
            )
        )
        is not None
    )


@transactional
def add_reviewer(user, reviewer_user_id: int, expertise="", employer="") -> Reviewer:
    """Put a user into the reviewer pool (art. 7(4))."""
    require(P + "office", user)
    person = db.session.get(User, reviewer_user_id)
    if person is None:
        raise InvalidInput(
            {"user_id": [_("No user %(id)s exists.", id=reviewer_user_id)]}
        )
    if db.session.scalars(
        select(Reviewer).where(Reviewer.user_id == person.id)
    ).first():
        raise InvalidInput({"user_id": [_("This user is in the pool already.")]})
    reviewer = Reviewer(user=person, expertise=expertise, employer=employer)
    db.session.add(reviewer)
    db.session.flush()
    log.info("%s added reviewer %s to the pool", _actor_name(user), person.username)
    return reviewer


@transactional
def assign_reviewer(user, application_id, reviewer_id, stage, is_leader=False):
    """Put a reviewer on an application's review team (art. 8, 18, 19)."""
    require(P + "office", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    if stage not in STAGES:
        errors["stage"] = [_("Choose material or on-site review.")]
    reviewer = db.session.get(Reviewer, reviewer_id)
    if reviewer is None:
        errors["reviewer_id"] = [_("No reviewer %(id)s exists.", id=reviewer_id)]
    elif not reviewer.is_active or reviewer.disqualified_reason:
        errors["reviewer_id"] = [_("This reviewer is not active in the pool.")]
    if errors:
        raise InvalidInput(errors)
    # art. 30: a person with a conflict of interest is never assigned.
    if conflicted(application.id, reviewer.user_id):
        raise RuleViolation(
            _(
                "%(name)s declared a conflict of interest with this applicant.",
                name=reviewer,
            ),
            article="art. 30",
            field="reviewer_id",
        )
    team = list(
        db.session.scalars(
            select(TeamMember).where(
                TeamMember.application_id == application.id, TeamMember.stage == stage
            )
        )
    )
    if any(m.reviewer_id == reviewer.id for m in team):
        raise InvalidInput(
            {"reviewer_id": [_("This reviewer is on the team already.")]}
        )
    if is_leader and any(m.is_leader for m in team):
        raise RuleViolation(
            _("This review team has a leader already."),
            article="art. 8",
            field="is_leader",
        )
    member = TeamMember(
        application=application, reviewer=reviewer, stage=stage, is_leader=is_leader
    )
    db.session.add(member)
    db.session.flush()
    log.info(
        "%s assigned reviewer %s to %s review of application #%s",
        _actor_name(user),
        reviewer.user.username,
        stage,
        application.id,
    )
    return member


@transactional
def declare_conflict(user, application_id, reason: str, on: date, person_id=None):
    """Record a conflict of interest (art. 30).

    With `person_id` the office records one the person failed to declare (who
    "should have" recused); otherwise the user declares their own. The person
    leaves any review team of the applicant and their scores of it lapse.
    """
    application = get_visible(Application, application_id, user)
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("Say what the conflict of interest is.")]})
    if person_id is not None and person_id != user.id:
        require(P + "office", user)
        person = db.session.get(User, person_id)
        if person is None:
            raise InvalidInput(
                {"person_id": [_("No user %(id)s exists.", id=person_id)]}
            )
        self_declared = False
    else:
        person, self_declared = user, True
    if conflicted(application.id, person.id):
        raise InvalidInput({"reason": [_("This conflict is recorded already.")]})

    db.session.add(
        Conflict(
            application=application,
            user_id=person.id,
            reason=reason,
            declared_on=on,
            self_declared=self_declared,
        )
    )
    reviewer = db.session.scalars(
        select(Reviewer).where(Reviewer.user_id == person.id)
    ).first()
    if reviewer is not None:
        for model in (TeamMember, Score):
            for row in db.session.scalars(
                select(model).where(
                    model.application_id == application.id,
                    model.reviewer_id == reviewer.id,
                )
            ):
                db.session.delete(row)
    db.session.flush()
    log.info(
        "%s recorded a conflict of %s with application #%s (self-declared: %s)",
        _actor_name(user),
        person.username,
        application.id,
        self_declared,
    )


@dataclass
class RecusalLine:
    """One person who recused, or should have, from one applicant."""

    application: Application
    person: User
    reason: str
    declared_on: date
    self_declared: bool


def recusal_overview(user, cycle_id: int) -> list[RecusalLine]:
    """Who recused and who should have, for the committee office (art. 30)."""
    require(P + "office", user)
    statement = scope(
        select(Conflict)
        .join(Application, Conflict.application_id == Application.id)
        .where(Application.cycle_id == cycle_id)
        .order_by(Conflict.declared_on, Conflict.id),
        Conflict,
        user,
    )
    return [
        RecusalLine(c.application, c.user, c.reason, c.declared_on, c.self_declared)
        for c in db.session.scalars(statement)
    ]


def _reviewer_of(user) -> Reviewer:
    reviewer = db.session.scalars(
        select(Reviewer).where(Reviewer.user_id == user.id)
    ).first()
    if reviewer is None:
        raise Forbidden(_("You are not in the reviewer pool."))
    return reviewer


@transactional
def record_score(user, application_id, stage, score, comment, on: date) -> Score:
    """A team member scores an application at material or on-site review."""
    require(P + "review", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    if stage not in STAGES:
        errors["stage"] = [_("Choose material or on-site review.")]
    value = _decimal(score, "score", errors)
    if errors:
        raise InvalidInput(errors)
    reviewer = _reviewer_of(user)
    # art. 30: a conflicted reviewer never scores the applicant.
    if conflicted(application.id, user.id):
        raise RuleViolation(
            _("You declared a conflict of interest with this applicant."),
            article="art. 30",
        )
    on_team = db.session.scalar(
        select(TeamMember.id).where(
            TeamMember.application_id == application.id,
            TeamMember.reviewer_id == reviewer.id,
            TeamMember.stage == stage,
        )
    )
    if on_team is None:
        raise Forbidden(_("You are not on this application's review team."))
    wanted = State.ACCEPTED if stage == "material" else State.ONSITE_REVIEW
    if application.state != wanted:
        raise RuleViolation(
            _("Scores of this stage are taken only while it is under way."),
            article="art. 18" if stage == "material" else "art. 19",
        )
    existing = db.session.scalars(
        select(Score).where(
            Score.application_id == application.id,
            Score.reviewer_id == reviewer.id,
            Score.stage == stage,
        )
    ).first()
    if existing is None:
        existing = Score(application=application, reviewer=reviewer, stage=stage)
        db.session.add(existing)
    existing.score = value
    existing.comment = comment or ""
    existing.scored_on = on
    db.session.flush()
    log.info(
        "%s scored application #%s at %s review: %s",
        user.username,
        application.id,
        stage,
        value,
    )
    return existing


@transactional
def rate_reviewer(user, application_id, reviewer_id, rating, comment, on: date):
    """The applicant rates an on-site reviewer's work and conduct (art. 31)."""
    require(P + "apply", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    if (
        isinstance(rating, bool)
        or not isinstance(rating, int)
        or not rules.RATING_MIN <= rating <= rules.RATING_MAX
    ):
        errors["rating"] = [
            _(
                "Give a rating from %(lo)s to %(hi)s.",
                lo=rules.RATING_MIN,
                hi=rules.RATING_MAX,
            )
        ]
    on_team = db.session.scalar(
        select(TeamMember.id).where(
            TeamMember.application_id == application.id,
            TeamMember.reviewer_id == reviewer_id,
            TeamMember.stage == "onsite",
        )
    )
    if on_team is None:
        errors["reviewer_id"] = [_("This reviewer was not on your on-site review.")]
    if errors:
        raise InvalidInput(errors)
    if application.onsite_report == "":
        raise RuleViolation(
            _("Reviewers are rated after the on-site review."), article="art. 31"
        )
    existing = db.session.scalars(
        select(Rating).where(
            Rating.application_id == application.id, Rating.reviewer_id == reviewer_id
        )
    ).first()
    if existing is not None:
        raise InvalidInput({"reviewer_id": [_("You rated this reviewer already.")]})
    entry = Rating(
        application=application,
        reviewer_id=reviewer_id,
        rating=rating,
        comment=comment or "",
        rated_on=on,
    )
    db.session.add(entry)
    db.session.flush()
    log.info("%s rated reviewer #%s: %s", _actor_name(user), reviewer_id, rating)
    return entry


@transactional
def assess_reviewer(user, reviewer_id, cycle_id, office_score, comment, on: date):
    """The office assesses a reviewer, folding in applicants' ratings (art. 7, 31)."""
    require(P + "office", user)
    errors = {}
    value = _decimal(office_score, "office_score", errors)
    reviewer = db.session.get(Reviewer, reviewer_id)
    if reviewer is None:
        errors["reviewer_id"] = [_("No reviewer %(id)s exists.", id=reviewer_id)]
    if db.session.get(Cycle, cycle_id) is None:
        errors["cycle_id"] = [_("No award cycle %(id)s exists.", id=cycle_id)]
    if errors:
        raise InvalidInput(errors)
    ratings = list(
        db.session.scalars(
            select(Rating.rating)
            .join(Application, Rating.application_id == Application.id)
            .where(Rating.reviewer_id == reviewer_id, Application.cycle_id == cycle_id)
        )
    )
    assessment = db.session.scalars(
        select(ReviewerAssessment).where(
            ReviewerAssessment.reviewer_id == reviewer_id,
            ReviewerAssessment.cycle_id == cycle_id,
        )
    ).first()
    if assessment is None:
        assessment = ReviewerAssessment(reviewer_id=reviewer_id, cycle_id=cycle_id)
        db.session.add(assessment)
    assessment.office_score = value
    assessment.rating_count = len(ratings)
    assessment.rating_average = (
        rules.average(Decimal(r) for r in ratings) if ratings else None
    )
    assessment.overall = rules.reviewer_overall(value, ratings)
    assessment.comment = comment or ""
    assessment.assessed_on = on
    db.session.flush()
    log.info(
        "%s assessed reviewer #%s for cycle %s: %s",
        _actor_name(user),
        reviewer_id,
        cycle_id,
        assessment.overall,
    )
    return assessment


# Committee and votes


@transactional
def add_committee_member(
    user, cycle_id, member_user_id, position=""
) -> CommitteeMember:
    """Seat a user on the award committee of a cycle (art. 5)."""
    require(P + "office", user)
    errors = {}
    if db.session.get(Cycle, cycle_id) is None:
        errors["cycle_id"] = [_("No award cycle %(id)s exists.", id=cycle_id)]
    if db.session.get(User, member_user_id) is None:
        errors["user_id"] = [_("No user %(id)s exists.", id=member_user_id)]
    elif db.session.scalars(
        select(CommitteeMember).where(
            CommitteeMember.cycle_id == cycle_id,
            CommitteeMember.user_id == member_user_id,
        )
    ).first():
        errors["user_id"] = [_("This user sits on the committee already.")]
    if errors:
        raise InvalidInput(errors)
    member = CommitteeMember(
        cycle_id=cycle_id, user_id=member_user_id, position=position
    )
    db.session.add(member)
    db.session.flush()
    log.info("%s seated user #%s on the committee", _actor_name(user), member_user_id)
    return member


def _member_of(user, cycle_id) -> CommitteeMember | None:
    return db.session.scalars(
        select(CommitteeMember).where(
            CommitteeMember.cycle_id == cycle_id, CommitteeMember.user_id == user.id
        )
    ).first()


@transactional
def cast_vote(user, application_id, in_favour: bool, on: date) -> Vote:
    """A committee member votes on a candidate (art. 22)."""
    require(P + "committee", user)
    application = get_visible(Application, application_id, user)
    member = _member_of(user, application.cycle_id)
    if member is None:
        raise InvalidInput(
            {"member": [_("Only members of this cycle's committee vote.")]}
        )
    if not isinstance(in_favour, bool):
        raise InvalidInput({"in_favour": [_("Vote for or against.")]})
    if conflicted(application.id, user.id):
        raise RuleViolation(
            _("You declared a conflict of interest with this applicant."),
            article="art. 30",
        )
    if application.state != State.CANDIDATE:
        raise RuleViolation(
            _("Only candidates are voted on."), article="art. 22", field="state"
        )
    if db.session.scalars(
        select(Vote).where(
            Vote.application_id == application.id, Vote.member_id == member.id
        )
    ).first():
        raise InvalidInput({"member": [_("You have voted on this candidate already.")]})
    vote = Vote(application=application, member=member, in_favour=in_favour, cast_on=on)
    db.session.add(vote)
    db.session.flush()
    log.info(
        "%s voted %s application #%s",
        user.username,
        "for" if in_favour else "against",
        application.id,
    )
    return vote


def tallies(cycle_id: int) -> list[rules.VoteTally]:
    """Votes of each candidate of a cycle, counting only members free to vote."""
    members = list(
        db.session.scalars(
            select(CommitteeMember).where(CommitteeMember.cycle_id == cycle_id)
        )
    )
    result = []
    for application in db.session.scalars(
        select(Application).where(
            Application.cycle_id == cycle_id, Application.state == State.CANDIDATE
        )
    ):
        free = [m for m in members if not conflicted(application.id, m.user_id)]
        votes = db.session.scalars(
            select(Vote).where(Vote.application_id == application.id)
        ).all()
        result.append(
            rules.VoteTally(
                application_id=application.id,
                kind=application.kind,
                in_favour=sum(1 for v in votes if v.in_favour),
                eligible_members=len(free),
                evaluation_score=application.evaluation_score or Decimal(0),
            )
        )
    return result


@transactional
def conclude_vote(user, cycle_id: int, on: date) -> list[Application]:
    """Derive the recommended winners from the votes (art. 22) and record them."""
    require(P + "committee", user)
    counted = tallies(cycle_id)
    chosen = rules.recommended(counted)
    result = []
    for tally in counted:
        application = db.session.get(Application, tally.application_id)
        opinion = _(
            "%(yes)s of %(members)s members voted in favour.",
            yes=tally.in_favour,
            members=tally.eligible_members,
        )
        action = "recommend" if tally.application_id in chosen else "not_recommend"
        _step(user, application, action, opinion, on, None)
        if action == "recommend":
            result.append(application)
    return result


# Objections


@transactional
def receive_objection(user, application_id, data: dict, received_on: date) -> Objection:
    """Register a written objection; anonymous or incomplete ones are refused."""
    require(P + "office", user)
    application = get_visible(Application, application_id, user)
    # art. 35: real name, written reason, evidence and contact details.
    missing = rules.objection_reasons(
        data.get("objector_name"),
        data.get("reason"),
        data.get("evidence"),
        data.get("objector_contact"),
    )
    if missing:
        raise InvalidInput(
            {
                field: [describe(rules.Reason(code, "art. 35"))]
                for field, code in missing.items()
            }
        )
    # art. 36: the intake decision within 5 working days of receipt.
    due = calendar.add_working_days(received_on, rules.OBJECTION_INTAKE_WORKING_DAYS)
    objection = Objection(
        application=application,
        objector_name=data["objector_name"].strip(),
        objector_contact=data["objector_contact"].strip(),
        reason=data["reason"],
        evidence=data["evidence"],
        received_on=received_on,
        intake_due_on=due.value,
        intake_due_confirmed=due.confirmed,
    )
    db.session.add(objection)
    db.session.flush()
    log.info(
        "%s received objection #%s against application #%s, intake due %s",
        _actor_name(user),
        objection.id,
        application.id,
        due.value,
    )
    return objection


@transactional
def decide_objection_intake(user, objection_id, accepted: bool, note: str, on: date):
    """Accept an objection for inquiry or reject it, with a note (art. 36)."""
    require(P + "office", user)
    objection = get_visible(Objection, objection_id, user)
    if objection.intake_decision:
        raise RuleViolation(
            _("The intake decision is made already."), article="art. 36"
        )
    if not accepted and not (note or "").strip():
        raise InvalidInput({"note": [_("Say why the objection is not accepted.")]})
    objection.intake_decision = "accepted" if accepted else "rejected"
    objection.intake_on = on
    objection.intake_note = note or ""
    db.session.flush()
    log.info(
        "%s %s objection #%s (due %s, decided %s)",
        _actor_name(user),
        objection.intake_decision,
        objection.id,
        objection.intake_due_on,
        on,
    )
    return objection


@transactional
def conclude_objection(
    user, objection_id, outcome: str, findings: str, non_cooperation: bool, on: date
):
    """Record the inquiry's findings and outcome, tell the objector, report it.

    art. 37: a party that will not cooperate loses its application, or its
    award when it has already won. art. 23: an upheld objection against a
    candidate in public notice disqualifies it.
    """
    require(P + "office", user)
    objection = get_visible(Objection, objection_id, user)
    errors = {}
    if outcome not in ("upheld", "dismissed"):
        errors["outcome"] = [_("Choose upheld or dismissed.")]
    if not (findings or "").strip():
        errors["findings"] = [_("Write down what the inquiry found.")]
    if errors:
        raise InvalidInput(errors)
    if objection.intake_decision != "accepted":
        raise RuleViolation(
            _("Only an accepted objection is investigated."), article="art. 37"
        )
    if objection.outcome:
        raise RuleViolation(
            _("This objection is concluded already."), article="art. 38"
        )

    objection.findings = findings
    objection.non_cooperation = bool(non_cooperation)
    objection.outcome = outcome
    objection.concluded_on = on
    # art. 38: the objector is told and the committee is informed.
    objection.objector_told_on = on
    objection.committee_reported_on = on
    application = objection.application
    if non_cooperation:
        opinion = _(
            "Refused to cooperate with the inquiry into objection #%(id)s.",
            id=objection.id,
        )
        if application.state in rules.WINNER_STATES:
            _step(
                user, application, "revoke", opinion, on, None, check_permission=False
            )
        elif application.state in rules.RUNNING_STATES - {State.DRAFT}:
            _step(
                user,
                application,
                "disqualify",
                opinion,
                on,
                None,
                check_permission=False,
            )
    elif outcome == "upheld" and application.state == State.IN_NOTICE:
        opinion = _("Objection #%(id)s upheld.", id=objection.id)
        _step(
            user, application, "disqualify", opinion, on, None, check_permission=False
        )
    db.session.flush()
    log.info(
        "%s concluded objection #%s: %s (non-cooperation: %s)",
        _actor_name(user),
        objection.id,
        outcome,
        non_cooperation,
    )
    return objection


# Supporting files


@transactional
def add_document(
    user, application_id, upload, title: str, secret: str = ""
) -> SupportingDocument:
    """Store a supporting file under a generated name, after checking it."""
    require(P + "apply", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the file a title.")]
    if secret not in SECRET_KINDS:
        errors["secret"] = [_("Choose none, trade secret or technical secret.")]
    name = getattr(upload, "filename", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content = upload.read(MAX_DOCUMENT_BYTES + 1) if upload is not None else b""
    if upload is None or not name:
        errors["file"] = [_("Choose a file to upload.")]
    elif extension not in ALLOWED_FILES:
        errors["file"] = [
            _(
                "Upload a PDF, PNG, JPEG, DOCX or XLSX file; “%(name)s” is none of "
                "these.",
                name=name,
            )
        ]
    elif len(content) > MAX_DOCUMENT_BYTES:
        errors["file"] = [_("A file may hold at most 10 MB.")]
    elif not content:
        errors["file"] = [_("The file is empty.")]
    elif not content.startswith(ALLOWED_FILES[extension][1]):
        errors["file"] = [
            _("The file's content is not what its name “%(name)s” says.", name=name)
        ]
    if errors:
        raise InvalidInput(errors)

    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "quality_award"
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.{extension}"
    document = SupportingDocument(
        application=application,
        title=title.strip(),
        original_name=name[-255:],
        stored_name=stored,
        content_type=ALLOWED_FILES[extension][0],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        secret=secret,
    )
    db.session.add(document)
    db.session.flush()
    (folder / stored).write_bytes(content)
    log.info(
        "%s added document #%s to application #%s (secret: %s)",
        _actor_name(user),
        document.id,
        application.id,
        secret or "no",
    )
    return document


def may_read_secret(user, application: Application) -> bool:
    """Whether `user` may read the applicant's trade or technical secrets (art. 29).

    Only the reviewers on the application's teams and the committee office.
    """
    if user.can(P + "office"):
        return True
    reviewer = db.session.scalars(
        select(Reviewer).where(Reviewer.user_id == user.id)
    ).first()
    if reviewer is None or conflicted(application.id, user.id):
        return False
    return (
        db.session.scalar(
            select(TeamMember.id).where(
                TeamMember.application_id == application.id,
                TeamMember.reviewer_id == reviewer.id,
            )
        )
        is not None
    )


def visible_document(user, document_id) -> SupportingDocument:
    """A document the user may list; secrets only for those who may read them."""
    document = get_visible(SupportingDocument, document_id, user)
    if document.is_confidential and not may_read_secret(user, document.application):
        raise NotFound(_("No record %(id)s was found.", id=document_id))
    return document


@transactional
def open_document(user, document_id) -> tuple[SupportingDocument, Path]:
    """Check access to a document, log the read, and return its stored path."""
    require(P + "view", user)
    document = visible_document(user, document_id)
    what = f"document {document.id}" + (
        f" ({document.secret} secret)" if document.secret else ""
    )
    audit.record_read(document, what)
    log.info("%s read document #%s", _actor_name(user), document.id)
    return document, Path(current_app.config["UPLOAD_FOLDER"]) / "quality_award" / (
        document.stored_name
    )


# Winners: bonus, use reports, tracking, revocation and clawback


def paid_fen(application_id: int) -> int:
    """Bonus paid to a winner so far, in fen."""
    return _ledger_sum(application_id, "payment")


def recovered_fen(application_id: int) -> int:
    """Bonus clawed back so far, in fen."""
    return _ledger_sum(application_id, "clawback")


def _ledger_sum(application_id, kind) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
            LedgerEntry.application_id == application_id,
            LedgerEntry.entry_kind == kind,
        )
    )


def _positive_fen(amount, errors) -> int | None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount_fen"] = [_("Give a positive amount in fen.")]
        return None
    return amount


@transactional
def record_payment(
    user, application_id, amount_fen, on: date, reference=""
) -> LedgerEntry:
    """Record a bonus payment to a winner (art. 25, 26)."""
    require(P + "finance", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    amount = _positive_fen(amount_fen, errors)
    if errors:
        raise InvalidInput(errors)
    if application.state not in rules.WINNER_STATES:
        raise RuleViolation(_("Only a winner's bonus is paid."), article="art. 24")
    if paid_fen(application.id) + amount > application.bonus_fen:
        raise InvalidInput(
            {
                "amount_fen": [
                    _(
                        "The payments would exceed the bonus of %(yuan)s yuan.",
                        yuan=application.bonus_fen // 100,
                    )
                ]
            }
        )
    entry = LedgerEntry(
        application=application,
        entry_kind="payment",
        amount_fen=amount,
        entry_on=on,
        reference=reference or "",
    )
    db.session.add(entry)
    db.session.flush()
    log.info(
        "%s paid %s fen to application #%s", _actor_name(user), amount, application.id
    )
    return entry


@transactional
def report_bonus_use(user, application_id, use, amount_fen, description, on: date):
    """Record the winner's report of a use of the bonus (art. 27)."""
    require(P + "apply", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    amount = _positive_fen(amount_fen, errors)
    if use not in set(rules.BonusUse):
        errors["use"] = [_("Choose one of the listed uses.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe what the money was spent on.")]
    if errors:
        raise InvalidInput(errors)
    if application.awarded_on is None:
        raise RuleViolation(
            _("Only a winner reports the use of a bonus."), article="art. 27"
        )
    reported = db.session.scalar(
        select(func.coalesce(func.sum(BonusUseReport.amount_fen), 0)).where(
            BonusUseReport.application_id == application.id
        )
    )
    if reported + amount > paid_fen(application.id):
        raise InvalidInput(
            {"amount_fen": [_("More is reported as spent than was paid out.")]}
        )
    use = rules.BonusUse(use)
    entry = BonusUseReport(
        application=application,
        use=use,
        amount_fen=amount,
        description=description,
        reported_on=on,
        permitted=rules.bonus_use_permitted(application.kind, use),
    )
    db.session.add(entry)
    db.session.flush()
    log.info(
        "%s reported a bonus use of %s fen (%s) for application #%s",
        _actor_name(user),
        amount,
        use,
        application.id,
    )
    return entry


@transactional
def record_tracking_event(
    user,
    application_id,
    event,
    occurred_on: date,
    description: str,
    on: date,
    direct_responsibility: bool = True,
) -> TrackingRecord:
    """Record an event of art. 32 or fraud (art. 33) against a winner.

    An art. 32 event starts revocation; fraud revokes at once and orders the
    return of trophy, certificate and bonus.
    """
    require(P + "office", user)
    application = get_visible(Application, application_id, user)
    errors = {}
    if event not in set(TrackingEvent):
        errors["event"] = [_("Choose one of the events of art. 32 or fraud.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe the event.")]
    if errors:
        raise InvalidInput(errors)
    event = TrackingEvent(event)
    if application.state not in rules.WINNER_STATES:
        if event == TrackingEvent.FRAUD and application.state in rules.RUNNING_STATES:
            # art. 33: fraud before the award ends the application.
            _step(
                user,
                application,
                "disqualify",
                description,
                on,
                None,
                check_permission=False,
            )
        else:
            raise RuleViolation(_("Only winners are tracked."), article="art. 32")
    else:
        bad = rules.tracking_reason(
            event,
            application.kind,
            application.awarded_on,
            occurred_on,
            direct_responsibility,
        )
        if bad:
            _refuse([bad], field="occurred_on")
        if event == TrackingEvent.FRAUD:
            _step(
                user,
                application,
                "revoke",
                description,
                on,
                None,
                check_permission=False,
            )
            db.session.add(Clawback(application=application, ordered_on=on))
        elif application.state == State.AWARDED:
            _step(user, application, "start_revocation", description, on, None)
    record = TrackingRecord(
        application=application,
        event=event,
        occurred_on=occurred_on,
        description=description,
        direct_responsibility=direct_responsibility,
        recorded_on=on,
    )
    db.session.add(record)
    db.session.flush()
    log.info(
        "%s recorded tracking event %s against application #%s",
        _actor_name(user),
        event,
        application.id,
    )
    return record


@transactional
def announce_revocation(user, application_id, on: date) -> Application:
    """Record the public announcement of a revocation (art. 32, 33)."""
    require(P + "office", user)
    application = get_visible(Application, application_id, user)
    if application.state != State.REVOKED:
        raise RuleViolation(
            _("Only a revoked award is announced as revoked."), article="art. 32"
        )
    application.revocation_announced_on = on
    db.session.flush()
    log.info(
        "%s announced the revocation of application #%s",
        _actor_name(user),
        application.id,
    )
    return application


def clawback_state(application: Application) -> rules.ClawbackState | None:
    """What a revoked fraudster still owes, or None without a clawback order."""
    order = db.session.scalars(
        select(Clawback).where(Clawback.application_id == application.id)
    ).first()
    if order is None:
        return None
    return rules.ClawbackState(
        paid_fen=paid_fen(application.id),
        recovered_fen=recovered_fen(application.id),
        trophy_returned=order.trophy_returned,
        certificate_returned=order.certificate_returned,
    )


@transactional
def record_clawback(
    user,
    application_id,
    on: date,
    amount_fen: int = 0,
    reference: str = "",
    trophy_returned: bool = False,
    certificate_returned: bool = False,
) -> Clawback:
    """Record money, trophy or certificate recovered under art. 33."""
    require(P + "finance", user)
    application = get_visible(Application, application_id, user)
    order = db.session.scalars(
        select(Clawback).where(Clawback.application_id == application.id)
    ).first()
    if order is None:
        raise RuleViolation(
            _("No clawback was ordered for this winner."), article="art. 33"
        )
    if order.settled_on is not None:
        raise RuleViolation(_("The clawback is settled already."), article="art. 33")
    errors = {}
    if amount_fen:
        _positive_fen(amount_fen, errors)
        if not errors and recovered_fen(application.id) + amount_fen > paid_fen(
            application.id
        ):
            errors["amount_fen"] = [_("More would be recovered than was paid.")]
    if errors:
        raise InvalidInput(errors)
    if amount_fen:
        db.session.add(
            LedgerEntry(
                application=application,
                entry_kind="clawback",
                amount_fen=amount_fen,
                entry_on=on,
                reference=reference or "",
            )
        )
        db.session.flush()
    order.trophy_returned = order.trophy_returned or bool(trophy_returned)
    order.certificate_returned = order.certificate_returned or bool(
        certificate_returned
    )
    if order.trophy_returned:
        application.trophy_given = False
    if order.certificate_returned:
        application.certificate_given = False
    if clawback_state(application).settled:
        order.settled_on = on
    db.session.flush()
    log.info(
        "%s recorded a clawback for application #%s (%s fen; settled: %s)",
        _actor_name(user),
        application.id,
        amount_fen,
        order.settled_on is not None,
    )
    return order


# What users see


def can_see_personal_data(user) -> bool:
    """Whether the user sees resident IDs, phones and addresses unmasked."""
    return user.can(P + "personal_data")


def personal_fields(user, application: Application) -> dict:
    """The applicant's personal data, masked unless the user may see it."""
    if can_see_personal_data(user):
        return {
            "resident_id": application.resident_id or "",
            "phone": application.phone,
            "address": application.address,
        }
    return {
        "resident_id": mask_resident_id(application.resident_id),
        "phone": mask_phone(application.phone),
        "address": "***" if application.address else "",
    }


def list_applications(user, cycle_id=None, state=None) -> list[Application]:
    """Applications the user may see, newest first."""
    statement = select(Application).order_by(Application.id.desc())
    if cycle_id is not None:
        statement = statement.where(Application.cycle_id == cycle_id)
    if state is not None:
        statement = statement.where(Application.state == state)
    return list(db.session.scalars(scope(statement, Application, user)))


def state_counts(user, cycle_id: int) -> dict[State, int]:
    """How many of a cycle's visible applications stand at each state, in order."""
    statement = (
        select(Application.state, func.count())
        .where(Application.cycle_id == cycle_id)
        .group_by(Application.state)
    )
    counts = dict(db.session.execute(scope(statement, Application, user)).all())
    return {state: counts[state] for state in State if counts.get(state)}


@dataclass(frozen=True)
class CountyLine:
    """Applications and standing winners of one county in a cycle."""

    county: str
    applications: int
    winners: int


def county_counts(user, cycle_id: int) -> list[CountyLine]:
    """Per county: the cycle's visible applications and its standing winners."""
    winners = func.sum(case((Application.state.in_(rules.WINNER_STATES), 1), else_=0))
    statement = (
        select(Department.name, func.count(Application.id), winners)
        .join(Department, Department.id == Application.department_id)
        .where(Application.cycle_id == cycle_id)
        .group_by(Department.id, Department.name)
        .order_by(Department.name)
    )
    return [
        CountyLine(name, applications, int(won or 0))
        for name, applications, won in db.session.execute(
            scope(statement, Application, user)
        )
    ]


def history(user, application_id) -> list[Transition]:
    """The recorded steps of one application, oldest first."""
    application = get_visible(Application, application_id, user)
    return list(
        db.session.scalars(
            select(Transition)
            .where(Transition.application_id == application.id)
            .order_by(Transition.acted_at, Transition.id)
        )
    )


def actions_for(user, application: Application) -> list[str]:
    """Steps the user may take on the application now."""
    return [
        action
        for action in rules.allowed_actions(application.state, application.kind)
        if user.can(P + rules.TRANSITIONS[action].permission)
    ]


def due_items(user, today: date) -> list[DueItem]:
    """Objection intakes and public notice ends waiting on the committee office."""
    if not user.can(P + "office"):
        return []
    items = []
    for objection in db.session.scalars(
        scope(
            select(Objection).where(Objection.intake_decision == ""),
            Objection,
            user,
        )
    ):
        items.append(
            DueItem(
                module="quality_award",
                title=_("Objection intake: %(name)s", name=objection.application),
                deadline=objection.intake_due_on,
                url=f"/admin/quality_award_detail/{objection.application_id}",
                detail=_("Received %(day)s", day=objection.received_on),
            )
        )
    for application in db.session.scalars(
        scope(
            select(Application).where(Application.state == State.IN_NOTICE),
            Application,
            user,
        )
    ):
        items.append(
            DueItem(
                module="quality_award",
                title=_("Public notice ends: %(name)s", name=application),
                deadline=application.notice_ends_on,
                url=f"/admin/quality_award_detail/{application.id}",
            )
        )
    return items
