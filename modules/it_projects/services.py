"""State changes of IT projects: load (scoped), apply the rules, save, commit.

Every public function here validates everything before it writes, commits its
own work, and rolls back if anything fails, so refused input writes nothing.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from core import calendar, mail
from core.context import current_actor
from core.errors import Conflict, InvalidInput, RuleViolation
from core.extensions import db
from core.i18n import _, _l
from core.models.departments import Department, DepartmentKind
from core.models.users import Role, User
from core.permissions import require
from core.scoping import can_own, get_visible, scope
from modules.it_projects import rules
from modules.it_projects.models import (
    Call,
    CallReminder,
    ChangeRequest,
    ItProject,
    ProjectDocument,
    ProjectFunding,
    ProjectStep,
)
from modules.it_projects.rules import Action, Kind, Status

log = logging.getLogger(__name__)

PERMISSION = "it_projects.{}"

SCOPE_REASONS = {
    "secrecy_excluded": _l(
        "The project has legal or special secrecy requirements and is excluded."
    ),
    "public_funds": _l(
        "It uses fiscal funds, higher-level special funds or government financing."
    ),
    "public_concern": _l(
        "It touches government data, network security, public resources or "
        "public interests."
    ),
    "private_without_public_concern": _l(
        "It uses only self-raised or social money and touches no government data, "
        "network security, public resources or public interests."
    ),
    "software_over_threshold": _l("Its software development exceeds 50,000 yuan."),
    "integration_over_threshold": _l("Its system integration exceeds 100,000 yuan."),
    "below_thresholds": _l(
        "Its software development is at most 50,000 yuan and its system "
        "integration at most 100,000 yuan."
    ),
}

FACILITY_LABELS = {
    "machine_room": _l("Machine room"),
    "private_network": _l("Private network"),
    "server": _l("Servers"),
    "storage": _l("Storage"),
    "backup": _l("Backup"),
    "security_facility": _l("Shared security facilities"),
    "basic_software": _l("Basic software"),
    "shared_auxiliary": _l("Other shareable auxiliary facilities"),
    "front_end_switch": _l("Front-end network switches"),
    "video_surveillance": _l("Internal video surveillance"),
    "large_screen_control": _l("Large-screen display control"),
    "supporting_equipment_room": _l("Equipment room of the excepted systems"),
}


def _actor_name(user) -> str:
    return (
        getattr(user, "full_name", "")
        or getattr(user, "username", "")
        or str(current_actor().name)
    )


def _atomic(service):
    """Roll back whatever a refused service call left in the session."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return wrapper


# The scope check (art. 3).


@dataclass(frozen=True)
class ScopeAnswer:
    """The scope check's answer with translated reasons."""

    in_scope: bool
    reasons: list


def scope_answer(result: rules.ScopeResult) -> ScopeAnswer:
    """Attach a sentence to each reason code."""
    return ScopeAnswer(
        result.in_scope,
        [
            {"code": code, "message": str(SCOPE_REASONS[code])}
            for code in result.reasons
        ],
    )


def check_scope(data: dict) -> ScopeAnswer:
    """Run the art. 3 check over an application's figures."""
    return scope_answer(rules.check_scope(_scope_input(data)))


def _scope_input(data: dict) -> rules.ScopeInput:
    return rules.ScopeInput(
        funding_sources=frozenset(
            rules.FundingSource(s) for s in data.get("funding_sources", ())
        ),
        concerns=frozenset(rules.Concern(c) for c in data.get("concerns", ())),
        software_development_fen=data.get("software_development_fen", 0),
        system_integration_fen=data.get("system_integration_fen", 0),
        secrecy=bool(data.get("secrecy", False)),
    )


# The annual call (art. 7(1)).


def _call_errors(plan_year: int, opens_on: date, closes_on: date) -> dict:
    messages = {
        "call_not_in_year_before_plan": _(
            "The call for the %(year)s plan opens in %(before)s.",
            year=plan_year,
            before=plan_year - 1,
        ),
        "call_closes_before_it_opens": _("The call cannot close before it opens."),
    }
    return {
        field: [messages[code] for code in codes]
        for field, codes in rules.call_window_errors(
            plan_year, opens_on, closes_on
        ).items()
    }


def validate_call(
    plan_year: int, opens_on: date, closes_on: date, call_id: int | None = None
) -> None:
    """Refuse unsound call dates or a second call for one plan year."""
    errors = _call_errors(plan_year, opens_on, closes_on)
    clash = db.session.scalars(
        select(Call.id).where(Call.plan_year == plan_year, Call.id != (call_id or 0))
    ).first()
    if clash is not None:
        errors.setdefault("plan_year", []).append(
            _("A call for the %(year)s plan exists already.", year=plan_year)
        )
    if errors:
        raise InvalidInput(errors)


@_atomic
def create_call(
    user,
    plan_year: int,
    opens_on: date | None = None,
    closes_on: date | None = None,
    note: str = "",
) -> Call:
    """Open the call for `plan_year`; the dates default to the August before."""
    require(PERMISSION.format(rules.Role.REVIEWER), user)
    default_open, default_close = rules.default_call_window(plan_year)
    opens_on = opens_on or default_open
    closes_on = closes_on or default_close
    validate_call(plan_year, opens_on, closes_on)

    call = Call(plan_year=plan_year, opens_on=opens_on, closes_on=closes_on, note=note)
    db.session.add(call)
    db.session.commit()
    log.info(
        "%s created the call for %s (%s to %s)",
        current_actor().name,
        plan_year,
        opens_on,
        closes_on,
    )
    return call


@_atomic
def update_call(user, call_id: int, opens_on: date, closes_on: date) -> Call:
    """Move a call's dates."""
    require(PERMISSION.format(rules.Role.REVIEWER), user)
    call = get_visible(Call, call_id, user)
    validate_call(call.plan_year, opens_on, closes_on, call.id)
    call.opens_on, call.closes_on = opens_on, closes_on
    db.session.commit()
    log.info(
        "%s moved the call for %s to %s–%s",
        current_actor().name,
        call.plan_year,
        opens_on,
        closes_on,
    )
    return call


def open_call(day: date) -> Call | None:
    """The call accepting applications on `day`, if any."""
    return db.session.scalars(
        select(Call).where(Call.opens_on <= day, Call.closes_on >= day)
    ).first()


# Applications (art. 7(1), art. 8, art. 4).


def _document_errors(documents: list, required: tuple) -> list:
    filed = {d["kind"] for d in documents}
    return [
        _("The document “%(kind)s” is required.", kind=str(DOCUMENT_LABELS[kind]))
        for kind in required
        if kind not in filed
    ]


def _add_documents(
    project: ItProject, documents: list, step: ProjectStep | None = None
):
    for item in documents:
        db.session.add(
            ProjectDocument(
                project=project,
                step=step,
                kind=item["kind"],
                title=item["title"],
                reference=item.get("reference", ""),
            )
        )


@_atomic
def apply(user, data: dict, today: date) -> ItProject:
    """File an application; refused when out of scope or incomplete."""
    require(PERMISSION.format(rules.Role.APPLICANT), user)
    department = _owning_department(user, data.get("department_id"))
    applied_on = data.get("applied_on") or today
    kind = Kind(data.get("kind", Kind.ANNUAL))
    documents = data.get("documents", [])
    errors: dict = {}

    missing = _document_errors(documents, rules.APPLICATION_DOCUMENTS)
    if kind == Kind.URGENT:
        missing += _document_errors(documents, ("urgency_basis",))
    if missing:
        errors["documents"] = missing
    for field in ("data_needs", "data_contribution", "funding_plan", "deployment"):
        if not (data.get(field) or "").strip():
            errors[field] = [_("This field is required by art. 7(1).")]
    if not data.get("funding_sources"):
        errors["funding_sources"] = [_("Name at least one source of funds.")]
    parts = data.get("software_development_fen", 0) + data.get(
        "system_integration_fen", 0
    )
    if data.get("investment_estimate_fen", 0) < parts:
        errors["investment_estimate"] = [
            _(
                "The investment estimate must cover software development "
                "and system integration."
            )
        ]
    # art. 8: an urgent project states the national, provincial or city
    # requirement that makes it urgent.
    if kind == Kind.URGENT and not (data.get("urgency_basis") or "").strip():
        errors["urgency_basis"] = [
            _("State the requirement that makes the project urgent (art. 8).")
        ]
    if errors:
        raise InvalidInput(errors)

    call = None
    if kind == Kind.ANNUAL:
        # art. 7(1): annual applications come in during the call.
        call = open_call(applied_on)
        if call is None:
            raise RuleViolation(
                _(
                    "No call is open on %(day)s; outside the annual call only "
                    "urgent projects may apply (art. 8).",
                    day=applied_on.isoformat(),
                ),
                article="art. 7(1)",
                field="applied_on",
            )

    scope_result = rules.check_scope(_scope_input(data))
    if not scope_result.in_scope:
        answer = scope_answer(scope_result)
        raise RuleViolation(
            _(
                "The measure does not govern this project: %(reasons)s",
                reasons=" ".join(r["message"] for r in answer.reasons),
            ),
            article="art. 3",
            field="scope",
        )

    platform = rules.check_platform(data.get("facilities", ()))
    project = ItProject(
        title=data["title"],
        kind=kind,
        status=Status.SUBMITTED,
        department=department,
        call=call,
        plan_year=call.plan_year if call else applied_on.year,
        applied_on=applied_on,
        funding_sources=sorted(data["funding_sources"]),
        concerns=sorted(data.get("concerns", [])),
        secrecy=False,
        software_development_fen=data.get("software_development_fen", 0),
        system_integration_fen=data.get("system_integration_fen", 0),
        investment_estimate_fen=data["investment_estimate_fen"],
        scope_reasons=scope_result.reasons,
        data_needs=data["data_needs"],
        data_contribution=data["data_contribution"],
        funding_plan=data["funding_plan"],
        deployment=data["deployment"],
        facilities=sorted(set(data.get("facilities", []))),
        platform_flags=platform.flagged,
        urgency_basis=data.get("urgency_basis", ""),
        large_or_specialised=bool(data.get("large_or_specialised")),
        scope_description=data.get("scope_description", ""),
        construction_standard=data.get("construction_standard", ""),
    )
    db.session.add(project)
    _add_documents(project, documents)
    db.session.commit()
    log.info(
        "%s filed %s project #%s “%s” for %s (platform flags: %s)",
        current_actor().name,
        kind.value,
        project.id,
        project.title,
        department.name,
        ",".join(platform.flagged) or "none",
    )
    return project


def _owning_department(user, department_id) -> Department:
    if department_id is None:
        return user.department
    department = db.session.get(Department, department_id)
    if department is None or not can_own(user, department):
        raise InvalidInput(
            {"department_id": [_("You may only apply for your own department.")]}
        )
    return department


# Decisions along the flow (art. 7, 9, 12).


STATUS_LABELS = {
    Status.SUBMITTED: _l("Application filed"),
    Status.INITIALLY_REVIEWED: _l("Passed initial review"),
    Status.IN_DRAFT_PLAN: _l("In the draft annual plan"),
    Status.FUNDS_CONFIRMED: _l("Funds confirmed"),
    Status.AT_COMMITTEE: _l("At the investment decision committee"),
    Status.APPROVED: _l("Project approved"),
    Status.PLAN_SUBMITTED: _l("Construction plan submitted"),
    Status.TECHNICAL_REVIEW: _l("In technical review"),
    Status.BUDGET_REVIEW: _l("In budget review"),
    Status.PROCUREMENT: _l("Procurement"),
    Status.IMPLEMENTATION: _l("Implementation"),
    Status.ACCEPTED: _l("Accepted on completion"),
    Status.SETTLED: _l("Settled"),
    Status.REJECTED: _l("Rejected in review"),
}

ACTION_LABELS = {
    Action.INITIAL_REVIEW: _l("Initial review"),
    Action.DRAFT_PLAN: _l("Include in the draft annual plan"),
    Action.CONFIRM_FUNDS: _l("Confirm funds"),
    Action.SUBMIT_TO_COMMITTEE: _l("Submit to the investment decision committee"),
    Action.APPROVE_PROJECT: _l("Project approval"),
    Action.SUBMIT_CONSTRUCTION_PLAN: _l("Submit the construction plan and estimate"),
    Action.START_TECHNICAL_REVIEW: _l("Start the technical review"),
    Action.TECHNICAL_REVIEW: _l("Technical review"),
    Action.BUDGET_REVIEW: _l("Budget review"),
    Action.PROCUREMENT: _l("Procurement or tender"),
    Action.ACCEPTANCE: _l("Acceptance"),
    Action.SETTLEMENT: _l("Settlement"),
}

SOURCE_LABELS = {
    "fiscal": _l("Fiscal funds"),
    "higher_level_special": _l("Higher-level special funds"),
    "government_financing": _l("Government financing"),
    "self_raised": _l("Self-raised funds"),
    "social_investment": _l("Social investment"),
}

KIND_LABELS = {
    Kind.ANNUAL: _l("Annual plan"),
    Kind.URGENT: _l("Urgent (art. 8)"),
}

DOCUMENT_LABELS = {
    "application_form": _l("Application form"),
    "preliminary_plan": _l("Preliminary construction plan"),
    "investment_estimate": _l("Investment estimate"),
    "funding_plan": _l("Funding plan"),
    "urgency_basis": _l("Basis of urgency"),
    "approval_document": _l("Project approval document"),
    "construction_plan": _l("Construction plan"),
    "design_estimate": _l("Design estimate"),
    "review_opinion": _l("Review opinion"),
    "contract": _l("Procurement contract"),
    "acceptance_report": _l("Acceptance report"),
    "third_party_test_report": _l("Third-party test report"),
    "settlement_document": _l("Settlement document"),
    "change_basis": _l("Basis of the change"),
}

PROCUREMENT_METHODS = ("procurement", "tender")


def _refuse_state(project: ItProject, action: Action, code: str):
    if code == "urgent_not_in_plan":
        message = _("An urgent project stands outside the annual plan (art. 8).")
    else:
        message = _(
            "“%(action)s” cannot be recorded while the project is “%(status)s”.",
            action=str(ACTION_LABELS[action]),
            status=str(STATUS_LABELS[project.status]),
        )
    raise RuleViolation(
        message, article=rules.TRANSITIONS[action].article, field="status"
    )


def _amount_required(data: dict, errors: dict) -> int | None:
    amount = data.get("amount_fen")
    if amount is None:
        errors["amount"] = [_("Enter the amount in yuan.")]
    return amount


def _action_errors(project: ItProject, action: Action, data: dict) -> dict:
    """Field errors of the inputs each action needs."""
    errors: dict = {}
    approved = data.get("approved", True)
    opinion = (data.get("opinion") or "").strip()
    decided_on = data["decided_on"]

    if not approved and not opinion:
        errors["opinion"] = [_("Give the reason for the refusal.")]
    if not approved and not rules.can_reject(action):
        errors["approved"] = [_("This step cannot end in a refusal.")]
    last = project.steps[-1].decided_on if project.steps else project.applied_on
    if decided_on < last:
        errors["decided_on"] = [
            _(
                "The date cannot be before %(day)s, the project's last step.",
                day=last.isoformat(),
            )
        ]

    documents = data.get("documents", [])
    missing = _document_errors(
        documents,
        rules.required_documents(action, approved, project.large_or_specialised),
    )
    if missing:
        errors["documents"] = missing

    # art. 4: separate infrastructure passes initial review only with reasons.
    if action == Action.INITIAL_REVIEW and approved and project.platform_flags:
        if not opinion:
            errors["opinion"] = [
                _(
                    "The application asks for separate infrastructure (art. 4); "
                    "state in the opinion why it is accepted."
                )
            ]
    if action in (
        Action.SUBMIT_CONSTRUCTION_PLAN,
        Action.BUDGET_REVIEW,
        Action.PROCUREMENT,
        Action.SETTLEMENT,
    ):
        _amount_required(data, errors)
    if action == Action.PROCUREMENT:
        if data.get("procurement_method") not in PROCUREMENT_METHODS:
            errors["procurement_method"] = [
                _("Choose government procurement or tender.")
            ]
        if not (data.get("supplier") or "").strip():
            errors["supplier"] = [_("Name the supplier.")]
        # art. 11: implementation has a named responsible person.
        if not (data.get("responsible_person") or "").strip():
            errors["responsible_person"] = [
                _("Name the project's responsible person (art. 11).")
            ]
    return errors


def _amount_violation(project: ItProject, action: Action, amount: int | None):
    """Refuse amounts beyond the approved investment or the budget ceiling."""
    if amount is None:
        return
    if action == Action.PROCUREMENT:
        if rules.procurement_error(amount, project.approved_budget_fen or 0):
            raise RuleViolation(
                _(
                    "The procurement amount exceeds the approved budget of "
                    "%(budget)s yuan.",
                    budget=format_yuan(project.approved_budget_fen),
                ),
                article="art. 7(6)",
                field="amount",
            )
    limit = project.approved_investment_fen
    if action in (
        Action.SUBMIT_CONSTRUCTION_PLAN,
        Action.BUDGET_REVIEW,
        Action.SETTLEMENT,
    ) and rules.budget_error(amount, limit or 0):
        raise RuleViolation(
            _(
                "The amount exceeds the approved investment of %(limit)s yuan; "
                "an approved change request must raise it first (art. 10).",
                limit=format_yuan(limit),
            ),
            article="art. 10",
            field="amount",
        )


def format_yuan(fen: int | None) -> str:
    """Fen shown as yuan with two decimals."""
    if fen is None:
        return ""
    # PostgreSQL hands sums of BIGINT back as Decimal.
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


@_atomic
def decide(user, project_id: int, action: Action, data: dict) -> ItProject:
    """Record a step of the flow with its actor, date and opinion."""
    action = Action(action)
    transition = rules.TRANSITIONS[action]
    require(PERMISSION.format(transition.role.value), user)
    project = get_visible(ItProject, project_id, user)
    expected = data.get("expected_version")
    if expected is not None and expected != project.version:
        raise Conflict(
            _("The project changed since you read it; reload it and decide again.")
        )

    code = rules.transition_error(action, project.status, project.kind)
    if code:
        _refuse_state(project, action, code)
    errors = _action_errors(project, action, data)
    if errors:
        raise InvalidInput(errors)
    approved = data.get("approved", True)
    amount = data.get("amount_fen")
    _amount_violation(project, action, amount)

    decided_on = data["decided_on"]
    before = project.status
    after = rules.next_status(action, approved)
    if approved:
        _apply_effects(project, action, data)
    if action == Action.TECHNICAL_REVIEW:
        # The limit no longer runs once the reviewer has decided.
        project.review_due_on = None

    step = ProjectStep(
        project=project,
        action=action.value,
        from_status=before.value,
        to_status=after.value,
        approved=approved,
        decided_on=decided_on,
        actor_id=getattr(user, "id", None),
        actor_name=_actor_name(user),
        actor_department_id=getattr(user, "department_id", None),
        opinion=data.get("opinion", ""),
        amount_fen=amount,
    )
    db.session.add(step)
    project.status = after
    _add_documents(project, data.get("documents", []), step)
    db.session.commit()
    log.info(
        "%s recorded %s (%s) on project #%s: %s -> %s",
        current_actor().name,
        action.value,
        "approved" if approved else "refused",
        project.id,
        before.value,
        after.value,
    )
    return project


def _apply_effects(project: ItProject, action: Action, data: dict) -> None:
    decided_on = data["decided_on"]
    amount = data.get("amount_fen")
    if action == Action.APPROVE_PROJECT:
        # art. 7(4), 10: the approval fixes the baseline of scope, standard
        # and investment.
        investment = amount if amount is not None else project.investment_estimate_fen
        project.approved_on = decided_on
        project.approved_investment_fen = investment
        project.baseline_investment_fen = investment
        project.baseline_scope = project.scope_description
        project.baseline_standard = project.construction_standard
    elif action == Action.SUBMIT_CONSTRUCTION_PLAN:
        project.design_estimate_fen = amount
    elif action == Action.START_TECHNICAL_REVIEW:
        experts = bool(data.get("experts"))
        third_party = bool(data.get("third_party"))
        days = rules.technical_review_days(experts, third_party)
        due = calendar.add_working_days(decided_on, days)
        project.review_experts = experts
        project.review_third_party = third_party
        project.review_started_on = decided_on
        project.review_due_on = due.value
        project.review_due_confirmed = due.confirmed
    elif action == Action.BUDGET_REVIEW:
        project.approved_budget_fen = amount
    elif action == Action.PROCUREMENT:
        project.procurement_amount_fen = amount
        project.procurement_method = data["procurement_method"]
        project.supplier = data["supplier"]
        project.responsible_person = data["responsible_person"]
    elif action == Action.ACCEPTANCE:
        project.accepted_on = decided_on
        project.third_party_tested = any(
            d["kind"] == rules.THIRD_PARTY_TEST_DOCUMENT
            for d in data.get("documents", [])
        )
    elif action == Action.SETTLEMENT:
        project.settled_amount_fen = amount
        project.settled_on = decided_on


# Change control (art. 10).


@_atomic
def request_change(user, project_id: int, data: dict) -> ChangeRequest:
    """File a change of scope, standard or investment for an approved project."""
    require(PERMISSION.format(rules.Role.APPLICANT), user)
    project = get_visible(ItProject, project_id, user)
    if not (data.get("reason") or "").strip():
        raise InvalidInput({"reason": [_("Give the reason for the change.")]})
    new_scope = data.get("new_scope")
    new_standard = data.get("new_standard")
    new_investment = data.get("new_investment_fen")
    changes = (
        (new_scope is not None and new_scope != project.scope_description)
        or (new_standard is not None and new_standard != project.construction_standard)
        or (
            new_investment is not None
            and new_investment != project.approved_investment_fen
        )
    )
    pending = any(c.status == "pending" for c in project.changes)
    code = rules.change_error(project.status, pending, changes)
    messages = {
        "not_changeable": _(
            "Changes are requested between project approval and acceptance."
        ),
        "change_pending": _("A change request of this project awaits a decision."),
        "no_change": _("The request changes neither scope, standard nor investment."),
    }
    if code:
        raise RuleViolation(
            messages[code],
            article="art. 10",
            field="status" if code != "no_change" else "new_scope",
        )

    change = ChangeRequest(
        project=project,
        requested_on=data["requested_on"],
        reason=data["reason"],
        before_scope=project.scope_description,
        before_standard=project.construction_standard,
        before_investment_fen=project.approved_investment_fen,
        new_scope=new_scope,
        new_standard=new_standard,
        new_investment_fen=new_investment,
        requested_by=_actor_name(user),
    )
    db.session.add(change)
    _add_documents(project, data.get("documents", []))
    db.session.commit()
    log.info(
        "%s requested change #%s of project #%s",
        current_actor().name,
        change.id,
        project.id,
    )
    return change


@_atomic
def decide_change(user, change_id: int, data: dict) -> ChangeRequest:
    """Approve or refuse a change request; only an approved one takes effect."""
    require(PERMISSION.format(rules.Role.PLANNER), user)
    change = get_visible(ChangeRequest, change_id, user)
    if change.status != "pending":
        raise RuleViolation(
            _("This change request was decided already."),
            article="art. 10",
            field="status",
        )
    approved = data.get("approved", True)
    if not approved and not (data.get("opinion") or "").strip():
        raise InvalidInput({"opinion": [_("Give the reason for the refusal.")]})
    if data["decided_on"] < change.requested_on:
        raise InvalidInput(
            {"decided_on": [_("The decision cannot precede the request.")]}
        )
    project = change.project
    if approved and project.status not in rules.CHANGEABLE_STATUSES:
        raise RuleViolation(
            _("Changes are requested between project approval and acceptance."),
            article="art. 10",
            field="status",
        )

    change.status = "approved" if approved else "refused"
    change.decided_on = data["decided_on"]
    change.decided_by = _actor_name(user)
    change.opinion = data.get("opinion", "")
    if approved:
        if change.new_scope is not None:
            project.scope_description = change.new_scope
        if change.new_standard is not None:
            project.construction_standard = change.new_standard
        if change.new_investment_fen is not None:
            project.approved_investment_fen = change.new_investment_fen
    db.session.commit()
    log.info(
        "%s %s change #%s of project #%s",
        current_actor().name,
        change.status,
        change.id,
        project.id,
    )
    return change


# ProjectFunding (art. 14).


@_atomic
def record_funding(user, project_id: int, data: dict) -> ProjectFunding:
    """Record money paid to a project; never to an unapproved one (art. 14)."""
    require(PERMISSION.format(rules.Role.FINANCE), user)
    project = get_visible(ItProject, project_id, user)
    amount = data["amount_fen"]
    if amount <= 0:
        raise InvalidInput({"amount": [_("The amount must be more than zero.")]})
    code = rules.funding_error(
        project.is_approved,
        project.funded_fen,
        amount,
        project.approved_investment_fen or 0,
    )
    if code == "never_approved":
        raise RuleViolation(
            _("The project was never approved; finance cannot fund it (art. 14)."),
            article="art. 14",
            field="project",
        )
    if code == "over_approved_investment":
        raise RuleViolation(
            _(
                "Funds would exceed the approved investment of %(limit)s yuan "
                "(art. 10).",
                limit=format_yuan(project.approved_investment_fen),
            ),
            article="art. 10",
            field="amount",
        )

    funding = ProjectFunding(
        project=project,
        amount_fen=amount,
        paid_on=data["paid_on"],
        note=data.get("note", ""),
        recorded_by=_actor_name(user),
    )
    db.session.add(funding)
    db.session.commit()
    log.info(
        "%s recorded %s fen of funds for project #%s",
        current_actor().name,
        amount,
        project.id,
    )
    return funding


# Lists for a user.


def visible_projects(
    user, status: Status | None = None, after_id: int = 0, limit: int = 50
):
    """Projects the user may see, in id order."""
    statement = select(ItProject).where(ItProject.id > after_id)
    if status is not None:
        statement = statement.where(ItProject.status == status)
    statement = scope(statement, ItProject, user)
    return db.session.scalars(statement.order_by(ItProject.id).limit(limit)).all()


def pending_technical_reviews(user):
    """Technical reviews the user's department must finish, soonest first."""
    statement = scope(
        select(ItProject).where(ItProject.status == Status.TECHNICAL_REVIEW),
        ItProject,
        user,
    )
    return db.session.scalars(statement.order_by(ItProject.review_due_on)).all()


# Reminders (jobs).


def _remind(
    department: Department, key: str, kind: str, subject: str, due_on: date | None
) -> bool:
    exists = db.session.scalars(
        select(CallReminder.id).where(
            CallReminder.key == key, CallReminder.department_id == department.id
        )
    ).first()
    if exists is not None:
        return False
    db.session.add(
        CallReminder(
            department=department, key=key, kind=kind, subject=subject, due_on=due_on
        )
    )
    # The dashboard shows the reminder; departments with a contact address also
    # get it by mail, queued in this transaction so it goes out once.
    if department.emails:
        mail.enqueue(
            department.emails,
            subject,
            _(
                "%(subject)s\n\nSee the IT projects pages of the portal.",
                subject=subject,
            ),
            department=department,
            origin=f"it_projects.{kind}",
        )
    return True


def recipient_departments():
    """Every active department that may request an IT project."""
    return db.session.scalars(
        select(Department)
        .where(
            Department.is_active.is_(True),
            Department.kind != DepartmentKind.ENTERPRISE,
        )
        .order_by(Department.id)
    ).all()


def send_call_reminders(today: date) -> int:
    """Remind every department when a call opens and a week before it closes."""
    sent = 0
    calls = db.session.scalars(
        select(Call).where(Call.opens_on <= today, Call.closes_on >= today)
    ).all()
    departments = recipient_departments() if calls else []
    for call in calls:
        subject = _(
            "The call for the %(year)s IT project plan is open until %(day)s.",
            year=call.plan_year,
            day=call.closes_on.isoformat(),
        )
        for department in departments:
            sent += _remind(
                department,
                f"call:{call.id}:opened",
                "call_opened",
                subject,
                call.closes_on,
            )
        if today >= rules.closing_reminder_date(call.closes_on):
            closing = _(
                "The call for the %(year)s IT project plan closes on %(day)s.",
                year=call.plan_year,
                day=call.closes_on.isoformat(),
            )
            for department in departments:
                sent += _remind(
                    department,
                    f"call:{call.id}:closing",
                    "call_closing",
                    closing,
                    call.closes_on,
                )
    db.session.commit()
    log.info("%s sent %s call reminders", current_actor().name, sent)
    return sent


def reviewer_departments():
    """Departments of the active users who hold the technical review permission."""
    permission = PERMISSION.format(rules.Role.REVIEWER)
    roles = [
        r
        for r in db.session.scalars(select(Role)).all()
        if permission in (r.permissions or []) and not r.is_superuser
    ]
    if not roles:
        return []
    users = db.session.scalars(
        select(User).where(
            User.is_active.is_(True), User.roles.any(Role.id.in_([r.id for r in roles]))
        )
    ).all()
    found = {u.department_id: u.department for u in users}
    return [found[k] for k in sorted(found)]


def send_review_reminders(today: date) -> int:
    """Remind reviewers of technical reviews near or past their limit."""
    projects = db.session.scalars(
        select(ItProject).where(
            ItProject.status == Status.TECHNICAL_REVIEW,
            ItProject.review_due_on.is_not(None),
        )
    ).all()
    due = [
        p
        for p in projects
        if calendar.working_days_left(p.review_due_on, today)
        <= rules.REVIEW_REMINDER_WORKING_DAYS
    ]
    departments = reviewer_departments() if due else []
    sent = 0
    for project in due:
        subject = _(
            "The technical review of “%(title)s” is due on %(day)s.",
            title=project.title,
            day=project.review_due_on.isoformat(),
        )
        key = f"review:{project.id}:{project.review_due_on.isoformat()}"
        for department in {*departments, project.department}:
            sent += _remind(
                department, key, "review_due", subject, project.review_due_on
            )
    db.session.commit()
    log.info("%s sent %s technical review reminders", current_actor().name, sent)
    return sent
