"""State changes of construction project approval.

Services load nothing unscoped for a user, apply rules.py, write, flush and log;
the caller (API view, portal view or job) commits. Every check runs before the
first write, so refused input writes nothing.
"""

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from core import calendar, mail
from core.context import current_actor
from core.dashboard import DueItem
from core.directory import add_credit_record, credit_records_in_force
from core.directory import department_by_code as _department_by_code
from core.errors import Conflict, InvalidInput, RuleViolation
from core.extensions import db
from core.i18n import _
from core.models.departments import Department
from core.models.organisations import CreditKind, Organisation
from core.scoping import can_own, scope
from modules.approval_reform import rules
from modules.approval_reform.models import (
    CatalogueItem,
    CatalogueRevision,
    Category,
    ClockPause,
    Commitment,
    CommitmentStatus,
    Document,
    DocumentSource,
    Escalation,
    EscalationKind,
    InvestmentType,
    Opinion,
    ParallelReview,
    Project,
    ProjectStatus,
    Segment,
    SegmentPermit,
    SegmentPermitKind,
    SideApproval,
    SideApprovalKind,
    Stage,
    StageDocument,
    StageKind,
    StageStatus,
    label,
)

log = logging.getLogger(__name__)

MODULE = "approval_reform"


def _actor() -> str:
    return current_actor().name


def department_by_code(code: str) -> Department:
    """A core department by code, or a rule violation naming the missing one."""
    department = _department_by_code(code)
    if department is None:
        raise RuleViolation(
            _(
                "No department with the code “%(code)s” exists; add it to the "
                "department tree first.",
                code=code,
            ),
            article="section 1(2)3",
        )
    return department


def acts_for(user, department: Department) -> bool:
    """Whether `user` works in `department` or below it."""
    return user.department.is_within(department)


# Facts and profile (items 1 and 10 of the module).

FACT_NUMBERS = ("building_area_m2", "height_m")
FACT_FLAGS = (
    "has_basement",
    "simple_function",
    "is_industrial",
    "national_security",
    "ecological_security",
    "major_infrastructure",
    "major_public_interest",
)


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def check_facts(data: dict) -> rules.Facts:
    """Validate a project's category and facts; InvalidInput names each bad field."""
    errors: dict[str, list[str]] = {}

    try:
        category = Category(data.get("category"))
    except ValueError:
        category = None
        errors["category"] = [
            _(
                "Unknown category; use one of: %(names)s.",
                names=", ".join(c.value for c in Category),
            )
        ]
    try:
        investment = InvestmentType(data.get("investment_type"))
    except ValueError:
        investment = None
        errors["investment_type"] = [
            _("Unknown investment type; use “government” or “social”.")
        ]

    numbers = {}
    for name in FACT_NUMBERS:
        number = _decimal(data.get(name))
        if data.get(name) is None:
            errors[name] = [_("This fact is required.")]
        elif number is None:
            errors[name] = [_("Give a number.")]
        elif number < 0:
            errors[name] = [_("The value must not be negative.")]
        numbers[name] = number

    floors = data.get("floors")
    if floors is None:
        errors["floors"] = [_("This fact is required.")]
    elif isinstance(floors, bool) or not isinstance(floors, int):
        errors["floors"] = [_("Give a whole number of floors.")]
    elif floors < 0:
        errors["floors"] = [_("The value must not be negative.")]

    if category and investment and not rules.investment_matches(category, investment):
        errors["investment_type"] = [
            _("This investment type does not fit the category (section 1(2)2).")
        ]
    if errors:
        raise InvalidInput(errors)

    return rules.Facts(
        category=category,
        investment_type=investment,
        building_area_m2=numbers["building_area_m2"],
        height_m=numbers["height_m"],
        floors=floors,
        **{flag: bool(data.get(flag, False)) for flag in FACT_FLAGS},
    )


def project_profile(data: dict) -> rules.Profile:
    """Small status, time limit and stage plan for a category and its facts."""
    return rules.profile(check_facts(data))


# Clocks (item 2).


@dataclass
class Clock:
    """A working-day clock at a given day."""

    started_on: date | None
    limit: int | None
    elapsed: int
    paused: int
    deadline: date | None
    days_left: int | None
    confirmed: bool
    is_paused: bool = False
    pauses: list = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        """Whether the deadline has passed."""
        return self.days_left is not None and self.days_left < 0


class _Counter:
    """Calendar calls that remember whether every answer was confirmed."""

    def __init__(self):
        self.confirmed = True

    def between(self, start: date, end: date) -> int:
        answer = calendar.working_days_between(start, end)
        self.confirmed = self.confirmed and answer.confirmed
        return answer.value

    def add(self, start: date, days: int) -> date:
        answer = calendar.add_working_days(start, days)
        self.confirmed = self.confirmed and answer.confirmed
        return answer.value

    def left(self, deadline: date, today: date) -> int:
        if deadline >= today:
            return self.between(today, deadline)
        return -self.between(deadline, today)


def _clock(start, end_or_none, limit, pauses, today) -> Clock:
    counter = _Counter()
    spans = [(p.started_on, p.ended_on) for p in pauses]
    end = end_or_none or today
    if start is None:
        return Clock(None, limit, 0, 0, None, None, True)
    elapsed = rules.elapsed_working_days(start, end, spans, counter.between)
    paused = rules.paused_working_days(spans, max(end, start), counter.between)
    deadline = days_left = None
    if limit is not None:
        deadline = counter.add(start, rules.deadline_offset(limit, paused))
        if end_or_none is None:
            days_left = counter.left(deadline, today)
    return Clock(
        started_on=start,
        limit=limit,
        elapsed=elapsed,
        paused=paused,
        deadline=deadline,
        days_left=days_left,
        confirmed=counter.confirmed,
        is_paused=any(p.ended_on is None for p in pauses),
        pauses=list(pauses),
    )


def stage_clock(stage: Stage, today: date) -> Clock:
    """The stage's clock: its own limit, net of the applicant's pauses."""
    end = stage.decided_on if stage.status != StageStatus.OPEN else None
    return _clock(
        stage.opened_on, end, stage.time_limit_working_days, stage.pauses, today
    )


def side_clock(side: SideApproval, today: date) -> Clock:
    """The clock of a municipal facility approval or a first registration."""
    return _clock(
        side.applied_on,
        side.completed_on,
        side.time_limit_working_days,
        side.pauses,
        today,
    )


def project_clock(project: Project, today: date) -> Clock:
    """The whole project's clock: the sum of its stages' clocks (section 1(3))."""
    used = 0
    confirmed = True
    open_stage = None
    for stage in project.stages:
        if stage.opened_on is None:
            continue
        clock = stage_clock(stage, today)
        confirmed = confirmed and clock.confirmed
        if stage.status == StageStatus.OPEN:
            open_stage = (stage, clock)
        else:
            used += clock.elapsed

    limit = project.time_limit_working_days
    if open_stage is None or limit is None:
        return Clock(project.registered_on, limit, used, 0, None, None, confirmed)
    stage, clock = open_stage
    counter = _Counter()
    before = used
    used += clock.elapsed
    deadline = counter.add(
        stage.opened_on, rules.deadline_offset(limit - before, clock.paused)
    )
    return Clock(
        started_on=project.registered_on,
        limit=limit,
        elapsed=used,
        paused=clock.paused,
        deadline=deadline,
        days_left=counter.left(deadline, today),
        confirmed=confirmed and counter.confirmed,
        is_paused=clock.is_paused,
    )


def _open_pause(pauses) -> ClockPause | None:
    return next((p for p in pauses if p.ended_on is None), None)


def pause_clock(user, target, waiting_on: str, reason: str, on: date) -> ClockPause:
    """Stop a stage's or side approval's clock while the applicant corrects."""
    is_stage = isinstance(target, Stage)
    department = target.lead_department
    started = target.opened_on if is_stage else target.applied_on
    running = (
        target.status == StageStatus.OPEN if is_stage else target.completed_on is None
    )

    if not rules.pause_allowed(waiting_on):
        raise RuleViolation(
            _(
                "Only a wait on the applicant's corrections stops the clock; "
                "review, technical review, intermediaries and utilities count "
                "toward the time limit."
            ),
            article="section 1(2)3",
            field="waiting_on",
        )
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("Say what the applicant must correct.")]})
    if not running:
        raise RuleViolation(_("This clock is not running."), field="stage")
    if not acts_for(user, department):
        raise RuleViolation(
            _("Only the lead department may stop this clock."), field="department"
        )
    if on < started:
        raise InvalidInput({"on": [_("The pause cannot start before the clock.")]})
    if _open_pause(target.pauses) is not None:
        raise Conflict(_("The clock is already stopped."))

    pause = ClockPause(
        project_id=target.project_id,
        stage=target if is_stage else None,
        side_approval=None if is_stage else target,
        reason=reason.strip(),
        started_on=on,
        started_by=_actor(),
    )
    db.session.add(pause)
    db.session.flush()
    log.info("%s paused the clock of %s on %s: %s", _actor(), target, on, reason)
    return pause


def resume_clock(user, target, on: date) -> ClockPause:
    """Restart a stopped clock when the applicant's corrections arrive."""
    pause = _open_pause(target.pauses)
    if pause is None:
        raise RuleViolation(_("The clock is not stopped."), field="stage")
    if not acts_for(user, target.lead_department):
        raise RuleViolation(
            _("Only the lead department may restart this clock."), field="department"
        )
    if on < pause.started_on:
        raise InvalidInput({"on": [_("The clock cannot restart before it stopped.")]})
    pause.ended_on = on
    db.session.flush()
    log.info("%s resumed the clock of %s on %s", _actor(), target, on)
    return pause


# Projects (item 1).


def _items_for(stage_kind: StageKind, category: Category) -> list[CatalogueItem]:
    items = db.session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.stage == stage_kind, CatalogueItem.is_active.is_(True))
        .order_by(CatalogueItem.code)
    ).all()
    return [i for i in items if not i.categories or category.value in i.categories]


def _check_documents(documents) -> list[dict]:
    errors = {}
    seen = set()
    cleaned = []
    for i, doc in enumerate(documents or []):
        code = (doc.get("material_code") or "").strip()
        title = (doc.get("title") or "").strip()
        if not code or not title:
            errors[f"documents.{i}"] = [
                _("A document needs a material code and a title.")
            ]
        elif code in rules.GOVERNMENT_RESULTS:
            errors[f"documents.{i}"] = [
                _(
                    "“%(code)s” is produced by the government and passed on; the "
                    "applicant never submits it (section 4(13)).",
                    code=code,
                )
            ]
        elif code in seen:
            errors[f"documents.{i}"] = [_("The same material is listed twice.")]
        seen.add(code)
        cleaned.append({**doc, "material_code": code, "title": title})
    if errors:
        raise InvalidInput(errors)
    return cleaned


def register_project(user, data: dict) -> Project:
    """Register a project with its facts, its stage plan and its first materials."""
    facts = check_facts(data)
    errors = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Give the project's name.")]
    organisation = (
        db.session.get(Organisation, data["organisation_id"])
        if isinstance(data.get("organisation_id"), int)
        else None
    )
    if organisation is None:
        errors["organisation_id"] = [_("No such applicant organisation.")]
    registered_on = data.get("registered_on")
    if not isinstance(registered_on, date):
        errors["registered_on"] = [_("Give the date the application was accepted.")]
    department = user.department
    if data.get("department_id") is not None:
        department = db.session.get(Department, data["department_id"])
        if department is None or not can_own(user, department):
            errors["department_id"] = [
                _("You may only register projects for your own department.")
            ]
    if errors:
        raise InvalidInput(errors)
    documents = _check_documents(data.get("documents"))

    result = rules.profile(facts)
    leads = {
        kind: department_by_code(rules.STAGE_LEAD_CODES[kind]) for kind in result.stages
    }

    project = Project(
        name=name,
        organisation=organisation,
        department_id=department.id,
        investment_type=facts.investment_type,
        category=facts.category,
        building_area_m2=facts.building_area_m2,
        height_m=facts.height_m,
        floors=facts.floors,
        registered_on=registered_on,
        is_small_project=result.small_project,
        time_limit_working_days=result.time_limit_working_days,
        is_key_project=bool(data.get("is_key_project", False)),
        agent_name=(data.get("agent_name") or "").strip(),
        **{flag: getattr(facts, flag) for flag in FACT_FLAGS},
    )
    db.session.add(project)
    db.session.flush()
    project.code = f"ZZXM-{registered_on.year}-{project.id:05d}"
    if project.is_key_project:
        project.supervising_department_id = department_by_code("spj").id
    for sequence, kind in enumerate(result.stages, start=1):
        db.session.add(
            Stage(
                project=project,
                sequence=sequence,
                kind=kind,
                lead_department=leads[kind],
            )
        )
    for doc in documents:
        _store_document(project, doc, registered_on)
    db.session.flush()
    log.info(
        "%s registered project %s (%s, small=%s, limit=%s)",
        _actor(),
        project.code,
        project.category.value,
        project.is_small_project,
        project.time_limit_working_days,
    )
    open_stage(project.stages[0], registered_on)
    return project


def exempt_project(user, project: Project, reason: str, on: date) -> Project:
    """Record the decision that exempts a major or complex project (section 1(3))."""
    if not (reason or "").strip():
        raise InvalidInput(
            {
                "reason": [
                    _("An exemption needs the reason the project is major or complex.")
                ]
            }
        )
    if project.is_exempt:
        raise RuleViolation(_("The project is already exempt."), field="project")
    project.is_exempt = True
    project.exemption_reason = reason.strip()
    project.exemption_decided_on = on
    project.exemption_decided_by = f"{user} ({user.department})"
    project.time_limit_working_days = None
    db.session.flush()
    log.info(
        "%s exempted project %s from the limit: %s", _actor(), project.code, reason
    )
    return project


def make_key_project(user, project: Project, agent_name: str) -> Project:
    """Give a key project its agent and the city approval bureau's supervision."""
    if not (agent_name or "").strip():
        raise InvalidInput({"agent_name": [_("Name the agent of the project.")]})
    supervisor = department_by_code("spj")
    project.is_key_project = True
    project.agent_name = agent_name.strip()
    project.supervising_department_id = supervisor.id
    db.session.flush()
    log.info("%s made %s a key project (agent %s)", _actor(), project.code, agent_name)
    return project


# Documents: one form, one set of materials (item 4).


def _store_document(
    project, doc: dict, on: date, source=DocumentSource.APPLICANT, stage=None
):
    document = Document(
        project=project,
        material_code=doc["material_code"],
        title=doc["title"],
        reference=(doc.get("reference") or "").strip(),
        source=source,
        received_on=on,
        produced_by_stage_id=stage.id if stage is not None else None,
    )
    db.session.add(document)
    return document


def on_file(project: Project) -> dict[str, Document]:
    """The project's documents by material code."""
    return {d.material_code: d for d in project.documents}


def submit_documents(
    user, project: Project, documents: list[dict], on: date
) -> list[Document]:
    """Store new materials once; one already on file is refused, not stored twice."""
    cleaned = _check_documents(documents)
    have = on_file(project)
    errors = {
        f"documents.{i}": [
            _(
                "“%(code)s” is already on file and is reused; it is never asked "
                "for again (section 4(13)).",
                code=doc["material_code"],
            )
        ]
        for i, doc in enumerate(cleaned)
        if doc["material_code"] in have
    }
    if errors:
        raise InvalidInput(errors)
    stored = [_store_document(project, doc, on) for doc in cleaned]
    db.session.flush()
    log.info("%s filed %s document(s) for %s", _actor(), len(stored), project.code)
    return stored


@dataclass
class Material:
    """A material a stage needs and where it stands."""

    material_code: str
    state: str  # "on_file", "government" or "missing"
    document: Document | None = None


def stage_materials(stage: Stage) -> list[Material]:
    """What a stage's catalogue items require, and which are already on file."""
    have = on_file(stage.project)
    codes: list[str] = []
    for item in _items_for(stage.kind, stage.project.category):
        codes.extend(c for c in item.required_materials if c not in codes)
    materials = []
    for code in codes:
        document = have.get(code)
        if document is not None:
            state = (
                "government"
                if document.source == DocumentSource.GOVERNMENT
                else "on_file"
            )
        elif code in rules.GOVERNMENT_RESULTS:
            # Not produced yet; it will be passed on, never asked for.
            state = "government"
        else:
            state = "missing"
        materials.append(Material(code, state, document))
    return materials


# Stages (item 2).


def open_stage(stage: Stage, on: date) -> Stage:
    """Start a stage's clock, its parallel reviews and its use of the documents."""
    project = stage.project
    earlier = [s for s in project.stages if s.sequence < stage.sequence]
    if any(s.status != StageStatus.APPROVED for s in earlier):
        raise RuleViolation(
            _("The previous stage must be approved first."), field="stage"
        )
    if stage.status != StageStatus.PENDING:
        raise RuleViolation(_("This stage has already started."), field="stage")
    materials = stage_materials(stage)
    missing = [m.material_code for m in materials if m.state == "missing"]
    if missing:
        raise InvalidInput(
            {
                "documents": [
                    _(
                        "These materials are still missing: %(codes)s.",
                        codes=", ".join(missing),
                    )
                ]
            }
        )

    items = _items_for(stage.kind, project.category)
    remaining = None
    if project.time_limit_working_days is not None:
        used = sum(s.working_days_used or 0 for s in earlier)
        remaining = project.time_limit_working_days - used
    stage.time_limit_working_days = rules.stage_time_limit(
        [i.time_limit_working_days for i in items], remaining
    )
    stage.status = StageStatus.OPEN
    stage.opened_on = on
    for item in items:
        if item.department_id and item.department_id != stage.lead_department_id:
            db.session.add(
                ParallelReview(
                    stage=stage,
                    department_id=item.department_id,
                    catalogue_item=item,
                    catalogue_revision=item.revision,
                )
            )
    for material in materials:
        if material.document is not None:
            db.session.add(
                StageDocument(stage_id=stage.id, document_id=material.document.id)
            )
    db.session.flush()
    log.info(
        "%s opened stage %s on %s (limit %s)",
        _actor(),
        stage,
        on,
        stage.time_limit_working_days,
    )
    return stage


def apply_for_stage(user, stage: Stage, on: date, documents: list[dict] = ()) -> Stage:
    """The applicant applies for the next stage, adding only materials not on file."""
    if stage.status != StageStatus.PENDING:
        raise RuleViolation(_("This stage has already started."), field="stage")
    if any(
        s.status != StageStatus.APPROVED
        for s in stage.project.stages
        if s.sequence < stage.sequence
    ):
        raise RuleViolation(
            _("The previous stage must be approved first."), field="stage"
        )
    last = max(
        (s.decided_on for s in stage.project.stages if s.decided_on), default=None
    )
    if last is not None and on < last:
        raise InvalidInput(
            {"on": [_("The application cannot predate the last decision.")]}
        )
    if documents:
        submit_documents(user, stage.project, list(documents), on)
    return open_stage(stage, on)


def add_review(user, stage: Stage, department: Department) -> ParallelReview:
    """The lead department asks another department for its opinion."""
    if stage.status != StageStatus.OPEN:
        raise RuleViolation(_("This stage is closed."), field="stage")
    if not acts_for(user, stage.lead_department):
        raise RuleViolation(
            _("Only the stage's lead department may ask for opinions."),
            field="department",
        )
    if department.id == stage.lead_department_id or any(
        r.department_id == department.id and r.catalogue_item_id is None
        for r in stage.reviews
    ):
        raise RuleViolation(
            _("This department already takes part in the stage."), field="department_id"
        )
    review = ParallelReview(stage=stage, department=department)
    db.session.add(review)
    db.session.flush()
    log.info("%s asked %s for an opinion on %s", _actor(), department, stage)
    return review


def give_opinion(
    user, review: ParallelReview, opinion: str, text: str, on: date
) -> ParallelReview:
    """A reviewing department gives its own opinion on the stage."""
    try:
        value = Opinion(opinion)
    except ValueError:
        value = None
    if value in (None, Opinion.PENDING):
        raise InvalidInput({"opinion": [_("Give “agree” or “object”.")]})
    if value == Opinion.OBJECT and not (text or "").strip():
        raise InvalidInput({"text": [_("An objection needs its reasons.")]})
    if review.stage.status != StageStatus.OPEN:
        raise RuleViolation(_("This stage is closed."), field="stage")
    if not acts_for(user, review.department):
        raise RuleViolation(
            _("Only the reviewing department may give this opinion."),
            field="department",
        )
    if review.opinion != Opinion.PENDING:
        raise RuleViolation(_("This opinion has already been given."), field="opinion")
    review.opinion = value
    review.opinion_text = (text or "").strip()
    review.given_on = on
    review.given_by = f"{user}"
    db.session.flush()
    log.info("%s gave opinion %s on %s", _actor(), value.value, review.stage)
    return review


def decide_stage(user, stage: Stage, approve: bool, text: str, on: date) -> Stage:
    """The lead department closes the stage with its decision."""
    if stage.status != StageStatus.OPEN:
        raise RuleViolation(
            _("This stage is closed; its decision cannot change."), field="stage"
        )
    if not acts_for(user, stage.lead_department):
        raise RuleViolation(
            _(
                "Only the lead department (%(name)s) decides this stage.",
                name=stage.lead_department.name,
            ),
            article="section 1(2)3",
            field="department",
        )
    if on < stage.opened_on:
        raise InvalidInput({"on": [_("The decision cannot predate the stage.")]})
    if _open_pause(stage.pauses) is not None:
        raise RuleViolation(
            _("The clock is stopped for corrections; restart it before deciding."),
            field="stage",
        )
    if not approve and not (text or "").strip():
        raise InvalidInput({"text": [_("A refusal needs its reasons.")]})
    if approve and not rules.may_approve_stage(
        [r.opinion.value for r in stage.reviews]
    ):
        raise RuleViolation(
            _("Every reviewing department must give its opinion first."),
            article="section 1(2)3",
            field="reviews",
        )
    project = stage.project
    if approve and rules.is_commitment_checkpoint(stage.kind):
        broken = [
            c for c in project.commitments if c.status == CommitmentStatus.REVOKED
        ]
        if broken:
            raise RuleViolation(
                _("A broken commitment stands; the construction permit cannot issue."),
                article="section 2(9)",
                field="commitments",
            )

    clock = stage_clock(stage, on)
    stage.status = StageStatus.APPROVED if approve else StageStatus.REFUSED
    stage.decided_on = on
    stage.decided_by = f"{user} ({user.department})"
    stage.decision_text = (text or "").strip()
    stage.decision_number = f"{project.code}-{stage.sequence}"
    stage.working_days_used = clock.elapsed
    if approve:
        code = rules.STAGE_RESULTS[stage.kind]
        if code not in on_file(project):
            _store_document(
                project,
                {
                    "material_code": code,
                    "title": _("Decision %(number)s", number=stage.decision_number),
                    "reference": stage.decision_number,
                },
                on,
                source=DocumentSource.GOVERNMENT,
                stage=stage,
            )
        if stage.kind == StageKind.COMPLETION_ACCEPTANCE:
            project.status = ProjectStatus.COMPLETED
            project.completed_on = on
    else:
        project.status = ProjectStatus.REFUSED
    db.session.flush()
    log.info(
        "%s %s stage %s on %s after %s working days",
        _actor(),
        "approved" if approve else "refused",
        stage,
        on,
        clock.elapsed,
    )
    return stage


def decision_record(stage: Stage, today: date) -> dict:
    """Everything a printed stage decision shows."""
    if stage.decided_on is None:
        raise RuleViolation(_("This stage has no decision yet."), field="stage")
    project = stage.project
    items = _items_for(stage.kind, project.category)
    documents = db.session.scalars(
        select(Document)
        .join(StageDocument, StageDocument.document_id == Document.id)
        .where(StageDocument.stage_id == stage.id)
        .order_by(Document.id)
    ).all()
    clock = stage_clock(stage, today)
    return {
        "decision_number": stage.decision_number,
        "stage": stage.kind.value,
        "outcome": stage.status.value,
        "decided_on": stage.decided_on,
        "decided_by": stage.decided_by,
        "decision_text": stage.decision_text,
        "lead_department": stage.lead_department.name,
        "project_code": project.code,
        "project_name": project.name,
        "applicant": project.organisation.name,
        "applicant_uscc": project.organisation.uscc,
        "category": project.category.value,
        "opened_on": stage.opened_on,
        "time_limit_working_days": stage.time_limit_working_days,
        "working_days_used": stage.working_days_used,
        "paused_working_days": clock.paused,
        "confirmed": clock.confirmed,
        "legal_basis": [
            {"item": i.name, "basis": i.legal_basis} for i in items if i.legal_basis
        ],
        "opinions": [
            {
                "department": r.department.name,
                "opinion": r.opinion.value,
                "text": r.opinion_text,
                "given_on": r.given_on,
            }
            for r in stage.reviews
        ],
        "documents": [
            {
                "material_code": d.material_code,
                "title": d.title,
                "source": d.source.value,
            }
            for d in documents
        ],
        "commitments": [
            {
                "item": c.catalogue_item.name,
                "status": c.status.value,
                "inspection_due_on": c.inspection_due_on,
            }
            for c in project.commitments
            if c.stage_id == stage.id
        ],
    }


# Notify-and-commit (item 5).


def approve_by_commitment(
    user,
    stage: Stage,
    item: CatalogueItem,
    text: str,
    signed_by: str,
    signed_on: date,
    on: date,
) -> Commitment:
    """Approve an item at once on the applicant's signed commitment (2(9))."""
    errors = {}
    if not (text or "").strip():
        errors["commitment_text"] = [_("Give the text the applicant signed.")]
    if not (signed_by or "").strip():
        errors["signed_by"] = [_("Name who signed the commitment.")]
    if isinstance(signed_on, date) and signed_on > on:
        errors["signed_on"] = [_("The commitment must be signed before the approval.")]
    if errors:
        raise InvalidInput(errors)
    project = stage.project
    if stage.status != StageStatus.OPEN:
        raise RuleViolation(_("This stage is closed."), field="stage")
    if item.stage != stage.kind or (
        item.categories and project.category.value not in item.categories
    ):
        raise InvalidInput(
            {"catalogue_item_id": [_("This item does not belong to the stage.")]}
        )
    department = item.department or stage.lead_department
    if not acts_for(user, department):
        raise RuleViolation(
            _("Only the department handling the item may approve it."),
            field="department",
        )
    adverse = any(
        r.kind in (CreditKind.BLACK_LIST, CreditKind.BROKEN_COMMITMENT)
        for r in credit_records_in_force(project.organisation_id, on)
    )
    if not rules.may_commit(item.notify_and_commit, adverse):
        raise RuleViolation(
            _(
                "This item cannot be approved on commitment: it is not a "
                "notify-and-commit item, or the applicant's credit does not allow it."
            ),
            article="section 2(9)",
            field="catalogue_item_id",
        )
    if any(
        c.catalogue_item_id == item.id and c.stage_id == stage.id
        for c in project.commitments
    ):
        raise Conflict(_("This item is already approved on commitment."))

    due = calendar.add_working_days(on, item.inspection_working_days or 0).value
    commitment = Commitment(
        project=project,
        stage=stage,
        catalogue_item=item,
        department=department,
        commitment_text=text.strip(),
        signed_by=signed_by.strip(),
        signed_on=signed_on,
        approved_on=on,
        inspection_due_on=due,
    )
    db.session.add(commitment)
    for review in stage.reviews:
        if review.catalogue_item_id == item.id and review.opinion == Opinion.PENDING:
            review.opinion = Opinion.AGREE
            review.opinion_text = _("Approved on the applicant's commitment.")
            review.given_on = on
            review.given_by = f"{user}"
    db.session.flush()
    log.info(
        "%s approved %s of %s on commitment; inspection due %s",
        _actor(),
        item.code,
        project.code,
        due,
    )
    return commitment


def record_inspection(
    user, commitment: Commitment, fulfilled: bool, findings: str, on: date
) -> Commitment:
    """Record the follow-up inspection; a broken commitment revokes and blacklists."""
    if not (findings or "").strip():
        raise InvalidInput({"findings": [_("Describe what the inspection found.")]})
    if commitment.status != CommitmentStatus.APPROVED:
        raise RuleViolation(
            _("This commitment has already been inspected."), field="commitment"
        )
    if not acts_for(user, commitment.department):
        raise RuleViolation(
            _("Only the approving department inspects this commitment."),
            field="department",
        )
    if on < commitment.approved_on:
        raise InvalidInput({"on": [_("The inspection cannot predate the approval.")]})
    commitment.inspected_on = on
    commitment.inspection_findings = findings.strip()
    if fulfilled:
        commitment.status = CommitmentStatus.FULFILLED
    else:
        # Section 5(16): dishonesty list, approval revoked; 5(17): black list.
        commitment.status = CommitmentStatus.REVOKED
        commitment.revoked_on = on
        record = add_credit_record(
            commitment.project.organisation,
            CreditKind.BLACK_LIST,
            _(
                "Broken commitment on “%(item)s” for project %(code)s; approval "
                "revoked: %(findings)s",
                item=commitment.catalogue_item.name,
                code=commitment.project.code,
                findings=findings.strip(),
            ),
            on,
            commitment.department,
            MODULE,
        )
        commitment.credit_record_id = record.id
    db.session.flush()
    log.info(
        "%s inspected commitment #%s of %s: %s",
        _actor(),
        commitment.id,
        commitment.project.code,
        commitment.status.value,
    )
    return commitment


# Linear works (item 6).


def add_segment(
    user, project: Project, name: str, within_red_line: bool = True
) -> Segment:
    """Add a segment of linear works."""
    if not (name or "").strip():
        raise InvalidInput({"name": [_("Name the segment.")]})
    if not rules.may_use_segments(project.category):
        raise RuleViolation(
            _("Only linear works are approved segment by segment."),
            article="section 7(20)",
            field="project",
        )
    segment = Segment(
        project=project, name=name.strip(), within_red_line=within_red_line
    )
    db.session.add(segment)
    db.session.flush()
    log.info("%s added segment %s to %s", _actor(), segment.name, project.code)
    return segment


def complete_land_acquisition(user, segment: Segment, on: date) -> Segment:
    """Record that a segment's land acquisition is complete."""
    if segment.land_acquisition_completed_on is not None:
        raise RuleViolation(
            _("The land acquisition is already recorded."), field="segment"
        )
    segment.land_acquisition_completed_on = on
    db.session.flush()
    log.info("%s completed land acquisition of segment %s", _actor(), segment.name)
    return segment


def issue_segment_permit(
    user, segment: Segment, kind: str, number: str, on: date
) -> SegmentPermit:
    """Issue the segment's next permit once its land acquisition is done (7(20))."""
    try:
        kind = SegmentPermitKind(kind)
    except ValueError:
        raise InvalidInput({"kind": [_("Unknown permit kind.")]}) from None
    if not (number or "").strip():
        raise InvalidInput({"number": [_("Give the permit's number.")]})
    if (
        segment.land_acquisition_completed_on is None
        or on < segment.land_acquisition_completed_on
    ):
        raise RuleViolation(
            _("The segment's land acquisition is not complete."),
            article="section 7(20)",
            field="segment",
        )
    expected = rules.next_segment_permit({p.kind for p in segment.permits})
    if kind != expected:
        raise RuleViolation(
            _("The next permit of this segment is %(kind)s.", kind=expected or "-"),
            article="section 7(20)",
            field="kind",
        )
    issuer = department_by_code(rules.SEGMENT_PERMIT_ISSUERS[kind])
    if not acts_for(user, issuer):
        raise RuleViolation(
            _("Only %(name)s issues this permit.", name=issuer.name), field="department"
        )
    permit = SegmentPermit(
        segment=segment,
        kind=kind,
        number=number.strip(),
        issued_on=on,
        department=issuer,
        issued_by=f"{user}",
    )
    db.session.add(permit)
    db.session.flush()
    log.info("%s issued %s for segment %s", _actor(), kind.value, segment.name)
    return permit


# Approvals on their own clock (item 7).


def apply_side_approval(
    user, project: Project, kind: str, on: date, department=None
) -> SideApproval:
    """Start a municipal facility approval or a small project's first registration."""
    try:
        kind = SideApprovalKind(kind)
    except ValueError:
        raise InvalidInput({"kind": [_("Unknown approval kind.")]}) from None
    if not rules.may_apply_side_approval(kind, project.is_small_project):
        raise RuleViolation(
            _("First registration in 3 working days is for small projects."),
            article="section 6(19)3",
            field="kind",
        )
    if kind == SideApprovalKind.MUNICIPAL_FACILITY and not any(
        rules.is_commitment_checkpoint(s.kind) and s.status != StageStatus.PENDING
        for s in project.stages
    ):
        raise RuleViolation(
            _(
                "Municipal facility approval runs alongside the construction "
                "permit stage."
            ),
            article="section 2(4)3(2)",
            field="kind",
        )
    if (
        kind == SideApprovalKind.FIRST_REGISTRATION
        and project.status != ProjectStatus.COMPLETED
    ):
        raise RuleViolation(
            _("First registration follows completion acceptance."),
            article="section 6(19)3",
            field="kind",
        )
    if any(s.kind == kind and s.completed_on is None for s in project.side_approvals):
        raise Conflict(_("This approval is already under way."))
    if department is None:
        department = department_by_code(rules.SIDE_APPROVAL_LEAD_CODES[kind])
    side = SideApproval(
        project=project,
        kind=kind,
        lead_department=department,
        applied_on=on,
        time_limit_working_days=rules.SIDE_APPROVAL_LIMITS[kind],
    )
    db.session.add(side)
    db.session.flush()
    log.info("%s applied for %s on %s for %s", _actor(), kind.value, on, project.code)
    return side


def complete_side_approval(
    user, side: SideApproval, text: str, on: date
) -> SideApproval:
    """The lead department completes the approval."""
    if side.completed_on is not None:
        raise RuleViolation(
            _("This approval is already complete."), field="side_approval"
        )
    if not acts_for(user, side.lead_department):
        raise RuleViolation(
            _("Only the lead department completes this approval."), field="department"
        )
    if on < side.applied_on:
        raise InvalidInput({"on": [_("Completion cannot predate the application.")]})
    if _open_pause(side.pauses) is not None:
        raise RuleViolation(
            _("The clock is stopped for corrections; restart it first."), field="stage"
        )
    side.completed_on = on
    side.completed_by = f"{user}"
    side.result_text = (text or "").strip()
    db.session.flush()
    log.info("%s completed %s of %s", _actor(), side.kind.value, side.project.code)
    return side


# Catalogue (item 3).

CATALOGUE_FIELDS = (
    "name",
    "stage",
    "categories",
    "required_materials",
    "time_limit_working_days",
    "legal_basis",
    "department_id",
    "notify_and_commit",
    "inspection_working_days",
    "is_active",
)


def _snapshot(item: CatalogueItem) -> dict:
    values = {"code": item.code}
    for name in CATALOGUE_FIELDS:
        value = getattr(item, name)
        values[name] = value.value if isinstance(value, StageKind) else value
    return values


def _check_catalogue(data: dict, creating: bool) -> dict:
    errors = {}
    if creating and not (data.get("code") or "").strip():
        errors["code"] = [_("Give the item's code.")]
    if "name" in data and not (data.get("name") or "").strip():
        errors["name"] = [_("Give the item's name.")]
    if "stage" in data:
        try:
            data["stage"] = StageKind(data["stage"])
        except ValueError:
            errors["stage"] = [_("Unknown stage.")]
    if "categories" in data:
        bad = [c for c in data["categories"] or [] if c not in set(Category)]
        if bad:
            errors["categories"] = [
                _("Unknown category: %(names)s.", names=", ".join(bad))
            ]
    limit = data.get("time_limit_working_days")
    if "time_limit_working_days" in data and (
        not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
    ):
        errors["time_limit_working_days"] = [_("Give at least one working day.")]
    if (
        data.get("department_id") is not None
        and db.session.get(Department, data["department_id"]) is None
    ):
        errors["department_id"] = [_("No such department.")]
    if data.get("notify_and_commit") and not data.get("inspection_working_days"):
        errors["inspection_working_days"] = [
            _("A notify-and-commit item needs its inspection period (section 5(16)).")
        ]
    if errors:
        raise InvalidInput(errors)
    return data


def create_catalogue_item(user, data: dict) -> CatalogueItem:
    """Add an item to the approval item catalogue at revision 1."""
    data = _check_catalogue(dict(data), creating=True)
    for required in ("name", "stage", "time_limit_working_days"):
        if required not in data:
            raise InvalidInput({required: [_("This field is required.")]})
    code = data["code"].strip()
    if db.session.scalars(
        select(CatalogueItem).where(CatalogueItem.code == code)
    ).first():
        raise InvalidInput({"code": [_("An item with this code exists.")]})
    item = CatalogueItem(code=code, revision=1)
    for name in CATALOGUE_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    db.session.add(item)
    db.session.flush()
    db.session.add(
        CatalogueRevision(
            item=item, revision=1, snapshot=_snapshot(item), changed_by=_actor()
        )
    )
    db.session.flush()
    log.info("%s added catalogue item %s", _actor(), code)
    return item


def update_catalogue_item(
    user, item: CatalogueItem, data: dict, expected_version=None
) -> CatalogueItem:
    """Change a catalogue item; the old text stays as an earlier revision."""
    if expected_version is not None and expected_version != item.version:
        raise Conflict(
            _("Someone else changed this item; reload it and make your change again.")
        )
    data = _check_catalogue(
        {k: v for k, v in data.items() if k in CATALOGUE_FIELDS}, False
    )
    merged = {**_snapshot(item), **data}
    if merged.get("notify_and_commit") and not merged.get("inspection_working_days"):
        raise InvalidInput(
            {
                "inspection_working_days": [
                    _(
                        "A notify-and-commit item needs its inspection period "
                        "(section 5(16))."
                    )
                ]
            }
        )
    record_catalogue_revision(item, data)
    return item


def record_catalogue_revision(
    item: CatalogueItem, changes: dict | None = None
) -> CatalogueRevision:
    """Apply `changes` (if any), bump the revision and keep a frozen copy."""
    for name, value in (changes or {}).items():
        setattr(item, name, value)
    item.revision = (item.revision or 0) + 1
    revision = CatalogueRevision(
        item=item, revision=item.revision, snapshot=_snapshot(item), changed_by=_actor()
    )
    db.session.add(revision)
    db.session.flush()
    log.info(
        "%s revised catalogue item %s to revision %s",
        _actor(),
        item.code,
        item.revision,
    )
    return revision


# Supervision (item 8) and the dashboard.


def escalate_key_projects(today: date) -> list[Escalation]:
    """Escalate key projects' stages nearing or past their limit to the supervisor."""
    stages = db.session.scalars(
        select(Stage)
        .join(Project, Project.id == Stage.project_id)
        .where(
            Stage.status == StageStatus.OPEN,
            Project.is_key_project.is_(True),
            Project.supervising_department_id.is_not(None),
        )
    ).all()
    done = {
        (e.stage_id, e.kind)
        for e in db.session.scalars(
            select(Escalation).where(Escalation.stage_id.in_([s.id for s in stages]))
        )
    }
    created = []
    for stage in stages:
        clock = stage_clock(stage, today)
        if clock.days_left is None or clock.is_paused:
            continue
        kind = rules.escalation_kind(clock.days_left)
        if kind is None or (stage.id, EscalationKind(kind)) in done:
            continue
        escalation = Escalation(
            project_id=stage.project_id,
            stage=stage,
            kind=EscalationKind(kind),
            escalated_on=today,
            deadline=clock.deadline,
            working_days_left=clock.days_left,
            supervising_department_id=stage.project.supervising_department_id,
        )
        db.session.add(escalation)
        created.append(escalation)
        _mail_escalation(stage, escalation)
        log.warning(
            "%s escalated %s (%s, %s working days left) to the supervising office",
            _actor(),
            stage,
            kind,
            clock.days_left,
        )
    db.session.flush()
    return created


def _mail_escalation(stage: Stage, escalation: Escalation) -> None:
    """Queue the escalation to the supervising office's contact addresses."""
    office = db.session.get(Department, escalation.supervising_department_id)
    if office is None or not office.emails:
        log.warning("the supervising office has no contact emails; dashboard only")
        return
    if escalation.kind == EscalationKind.OVERDUE:
        subject = _(
            "Key project stage overdue: %(project)s",
            project=stage.project.name,
        )
    else:
        subject = _(
            "Key project stage near its time limit: %(project)s",
            project=stage.project.name,
        )
    text = _(
        "%(stage)s of %(project)s is due on %(deadline)s (%(days)s working days left).",
        stage=str(stage),
        project=stage.project.name,
        deadline=escalation.deadline.isoformat(),
        days=escalation.working_days_left,
    )
    mail.enqueue(
        office.emails,
        subject,
        text,
        department=office,
        origin="approval_reform.escalations",
    )


def _url(project_id: int) -> str:
    return f"/admin/approval_reform_project_pages/project/{project_id}"


def due_items(user, today: date) -> list[DueItem]:
    """Stages, opinions, inspections and escalations waiting on the department."""
    if not user.can("approval_reform.view"):
        return []
    mine = user.department.path
    items = []
    open_stages = db.session.scalars(
        scope(select(Stage).where(Stage.status == StageStatus.OPEN), Stage, user)
    ).all()
    for stage in open_stages:
        clock = stage_clock(stage, today)
        if clock.deadline is None:
            continue
        title = f"{stage.project.code} {stage.project.name}"
        if stage.lead_department.path.startswith(mine):
            items.append(
                DueItem(
                    MODULE,
                    title,
                    clock.deadline,
                    _url(stage.project_id),
                    _("Stage decision: %(stage)s", stage=label(stage.kind)),
                )
            )
        for review in stage.reviews:
            if review.opinion == Opinion.PENDING and review.department.path.startswith(
                mine
            ):
                items.append(
                    DueItem(
                        MODULE,
                        title,
                        clock.deadline,
                        _url(stage.project_id),
                        _("Parallel review: %(stage)s", stage=label(stage.kind)),
                    )
                )
    commitments = db.session.scalars(
        scope(
            select(Commitment).where(Commitment.status == CommitmentStatus.APPROVED),
            Commitment,
            user,
        )
    ).all()
    for commitment in commitments:
        if commitment.department.path.startswith(mine):
            items.append(
                DueItem(
                    MODULE,
                    f"{commitment.project.code} {commitment.project.name}",
                    commitment.inspection_due_on,
                    _url(commitment.project_id),
                    _(
                        "Commitment inspection: %(item)s",
                        item=commitment.catalogue_item.name,
                    ),
                )
            )
    sides = db.session.scalars(
        scope(
            select(SideApproval).where(SideApproval.completed_on.is_(None)),
            SideApproval,
            user,
        )
    ).all()
    for side in sides:
        if side.lead_department.path.startswith(mine):
            clock = side_clock(side, today)
            items.append(
                DueItem(
                    MODULE,
                    f"{side.project.code} {side.project.name}",
                    clock.deadline,
                    _url(side.project_id),
                    side.kind.value,
                )
            )
    escalations = db.session.scalars(scope(select(Escalation), Escalation, user)).all()
    for escalation in escalations:
        if (
            escalation.stage.status == StageStatus.OPEN
            and escalation.supervising_department.path.startswith(mine)
        ):
            items.append(
                DueItem(
                    MODULE,
                    f"{escalation.project.code} {escalation.project.name}",
                    escalation.deadline,
                    _url(escalation.project_id),
                    _("Supervision: %(kind)s", kind=label(escalation.kind)),
                )
            )
    return items


# Overview figures (portal overview page).


@dataclass(frozen=True)
class StageFigures:
    """Decided stages of one kind: how many, days used and the limit, on average."""

    kind: StageKind
    decided: int
    open: int
    average_days_used: Decimal | None
    average_time_limit: Decimal | None


def stage_figures(user) -> list[StageFigures]:
    """Per stage kind, the stages the user may see against their time limits."""
    decided = Stage.status.in_((StageStatus.APPROVED, StageStatus.REFUSED))
    statement = scope(
        select(
            Stage.kind,
            func.count().filter(decided),
            func.count().filter(Stage.status == StageStatus.OPEN),
            func.avg(Stage.working_days_used).filter(decided),
            func.avg(Stage.time_limit_working_days).filter(decided),
        ).group_by(Stage.kind),
        Stage,
        user,
    )
    rows = {row[0]: row[1:] for row in db.session.execute(statement)}
    figures = []
    for kind in StageKind:
        count, open_count, used, limit = rows.get(kind, (0, 0, None, None))
        figures.append(
            StageFigures(
                kind,
                count,
                open_count,
                None if used is None else Decimal(str(used)),
                None if limit is None else Decimal(str(limit)),
            )
        )
    return figures


def project_status_counts(user) -> dict[ProjectStatus, int]:
    """How many projects the user may see stand in each status."""
    statement = scope(
        select(Project.status, func.count()).group_by(Project.status), Project, user
    )
    counts = dict.fromkeys(ProjectStatus, 0)
    counts.update(dict(db.session.execute(statement).all()))
    return counts
