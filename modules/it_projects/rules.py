"""The IT project measure (株政办发〔2019〕9号) as plain functions over plain values.

Money is integer fen throughout (1 yuan = 100 fen). Nothing here touches the
database or Flask; services.py loads records, asks these functions and saves.
"""

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

FEN_PER_YUAN = 100

# art. 3: "软件开发总投资额超过 5 万元 … 或系统集成总投资额超过 10 万元": strictly more
# than the amount, so exactly 50,000 / 100,000 yuan stays outside the measure.
SOFTWARE_THRESHOLD_FEN = 50_000 * FEN_PER_YUAN
INTEGRATION_THRESHOLD_FEN = 100_000 * FEN_PER_YUAN

# art. 7(6): technical review "不超过 10 个工作日", "不超过 20 个工作日" with experts
# or a third-party body.
TECHNICAL_REVIEW_DAYS = 10
TECHNICAL_REVIEW_DAYS_WITH_EXPERTS = 20

# The call closes with a reminder "a week before" (a calendar week).
CLOSING_REMINDER_DAYS = 7

# Reviewers are reminded when this many working days or fewer are left.
REVIEW_REMINDER_WORKING_DAYS = 3


class FundingSource(enum.StrEnum):
    """Where a project's money comes from (art. 3)."""

    FISCAL = "fiscal"  # 财政资金
    HIGHER_LEVEL_SPECIAL = "higher_level_special"  # 上级专项资金
    GOVERNMENT_FINANCING = "government_financing"  # 政府融资资金
    SELF_RAISED = "self_raised"  # 自筹资金
    SOCIAL_INVESTMENT = "social_investment"  # 社会投资


# art. 3: these sources bring a project under the measure by themselves.
PUBLIC_SOURCES = frozenset(
    {
        FundingSource.FISCAL,
        FundingSource.HIGHER_LEVEL_SPECIAL,
        FundingSource.GOVERNMENT_FINANCING,
    }
)


class Concern(enum.StrEnum):
    """What a self-funded or socially funded project may touch (art. 3)."""

    GOVERNMENT_DATA = "government_data"
    NETWORK_SECURITY = "network_security"
    PUBLIC_RESOURCES = "public_resources"
    PUBLIC_INTERESTS = "public_interests"


class Facility(enum.StrEnum):
    """Infrastructure an application may ask to build for itself (art. 4)."""

    MACHINE_ROOM = "machine_room"
    PRIVATE_NETWORK = "private_network"
    SERVER = "server"
    STORAGE = "storage"
    BACKUP = "backup"
    SECURITY_FACILITY = "security_facility"
    BASIC_SOFTWARE = "basic_software"
    SHARED_AUXILIARY = "shared_auxiliary"
    FRONT_END_SWITCH = "front_end_switch"
    VIDEO_SURVEILLANCE = "video_surveillance"
    LARGE_SCREEN_CONTROL = "large_screen_control"
    SUPPORTING_EQUIPMENT_ROOM = "supporting_equipment_room"


# art. 4: a unit's front-end network switches, internal video surveillance,
# large-screen display control and their supporting equipment rooms are
# excepted from "no separate infrastructure".
PLATFORM_EXCEPTIONS = frozenset(
    {
        Facility.FRONT_END_SWITCH,
        Facility.VIDEO_SURVEILLANCE,
        Facility.LARGE_SCREEN_CONTROL,
        Facility.SUPPORTING_EQUIPMENT_ROOM,
    }
)


@dataclass(frozen=True)
class ScopeInput:
    """What the scope check of art. 3 needs to know of a project."""

    funding_sources: frozenset
    concerns: frozenset
    software_development_fen: int
    system_integration_fen: int
    secrecy: bool = False


@dataclass(frozen=True)
class ScopeResult:
    """Whether the measure governs a project, and the reasons as codes."""

    in_scope: bool
    reasons: list = field(default_factory=list)


def check_scope(project: ScopeInput) -> ScopeResult:
    """Decide whether the measure applies to a project (art. 3)."""
    reasons = []

    # art. 3, last sentence: projects with legal or special secrecy
    # requirements are excluded whatever their money or size.
    if project.secrecy:
        return ScopeResult(False, ["secrecy_excluded"])

    # art. 3: public money brings a project in; self-raised or social money
    # only when the project touches government data, network security,
    # public resources or public interests.
    public = sorted(s.value for s in project.funding_sources if s in PUBLIC_SOURCES)
    concerns = sorted(c.value for c in project.concerns)
    if public:
        reasons.append("public_funds")
    if concerns:
        reasons.append("public_concern")
    funded = bool(public) or bool(concerns)
    if not funded:
        reasons.append("private_without_public_concern")

    # art. 3: software development over 50,000 yuan or system integration
    # over 100,000 yuan.
    software = project.software_development_fen > SOFTWARE_THRESHOLD_FEN
    integration = project.system_integration_fen > INTEGRATION_THRESHOLD_FEN
    if software:
        reasons.append("software_over_threshold")
    if integration:
        reasons.append("integration_over_threshold")
    large = software or integration
    if not large:
        reasons.append("below_thresholds")

    return ScopeResult(funded and large, reasons)


@dataclass(frozen=True)
class PlatformResult:
    """Separate infrastructure an application asks for, split by art. 4."""

    flagged: list
    accepted: list

    @property
    def is_flagged(self) -> bool:
        """Whether a reviewer must look at the request."""
        return bool(self.flagged)


def check_platform(facilities) -> PlatformResult:
    """Flag separate infrastructure the big-data platform should provide (art. 4)."""
    requested = sorted({Facility(f) for f in facilities}, key=lambda f: f.value)
    flagged = [f.value for f in requested if f not in PLATFORM_EXCEPTIONS]
    accepted = [f.value for f in requested if f in PLATFORM_EXCEPTIONS]
    return PlatformResult(flagged, accepted)


def technical_review_days(experts: bool, third_party: bool) -> int:
    """The technical review limit in working days (art. 7(6))."""
    if experts or third_party:
        return TECHNICAL_REVIEW_DAYS_WITH_EXPERTS
    return TECHNICAL_REVIEW_DAYS


def default_call_window(plan_year: int) -> tuple[date, date]:
    """The August of the year before the plan year (art. 7(1))."""
    return date(plan_year - 1, 8, 1), date(plan_year - 1, 8, 31)


def call_window_errors(plan_year: int, opens_on: date, closes_on: date) -> dict:
    """Field errors of a call's dates, as codes; empty when they are sound."""
    errors = {}
    # art. 7(1): the call of year Y-1 gathers the plan of year Y.
    if opens_on.year != plan_year - 1:
        errors["opens_on"] = ["call_not_in_year_before_plan"]
    if closes_on < opens_on:
        errors["closes_on"] = ["call_closes_before_it_opens"]
    return errors


def call_is_open(opens_on: date, closes_on: date, day: date) -> bool:
    """Whether applications are accepted on `day` (both ends included)."""
    return opens_on <= day <= closes_on


def closing_reminder_date(closes_on: date) -> date:
    """When the "a week before it closes" reminder is due."""
    return closes_on - timedelta(days=CLOSING_REMINDER_DAYS)


class Kind(enum.StrEnum):
    """An annual-plan project (art. 7) or an urgent one outside the plan (art. 8)."""

    ANNUAL = "annual"
    URGENT = "urgent"


class Status(enum.StrEnum):
    """Where a project stands in the flow of art. 7, 9 and 12."""

    SUBMITTED = "submitted"
    INITIALLY_REVIEWED = "initially_reviewed"
    IN_DRAFT_PLAN = "in_draft_plan"
    FUNDS_CONFIRMED = "funds_confirmed"
    AT_COMMITTEE = "at_committee"
    APPROVED = "approved"
    PLAN_SUBMITTED = "plan_submitted"
    TECHNICAL_REVIEW = "technical_review"
    BUDGET_REVIEW = "budget_review"
    PROCUREMENT = "procurement"
    IMPLEMENTATION = "implementation"
    ACCEPTED = "accepted"
    SETTLED = "settled"
    REJECTED = "rejected"


class Action(enum.StrEnum):
    """A decision or step that moves a project on."""

    INITIAL_REVIEW = "initial_review"
    DRAFT_PLAN = "draft_plan"
    CONFIRM_FUNDS = "confirm_funds"
    SUBMIT_TO_COMMITTEE = "submit_to_committee"
    APPROVE_PROJECT = "approve_project"
    SUBMIT_CONSTRUCTION_PLAN = "submit_construction_plan"
    START_TECHNICAL_REVIEW = "start_technical_review"
    TECHNICAL_REVIEW = "technical_review"
    BUDGET_REVIEW = "budget_review"
    PROCUREMENT = "procurement"
    ACCEPTANCE = "acceptance"
    SETTLEMENT = "settlement"


class Role(enum.StrEnum):
    """Who acts; each maps to a module permission."""

    APPLICANT = "apply"  # the requesting unit (应用需求单位)
    REVIEWER = "review"  # the administrative approval bureau (市行政审批局)
    FINANCE = "finance"  # the finance bureau (市财政局)
    PLANNER = "approve"  # development and reform (市发展改革委)


@dataclass(frozen=True)
class Transition:
    """One action: who takes it, from where, and where it leads."""

    role: Role
    sources: frozenset
    on_approve: Status
    on_reject: Status | None
    article: str
    documents: tuple = ()


TRANSITIONS = {
    # art. 7(2): the approval bureau's initial review of fit, platform use,
    # data sharing and technical currency.
    Action.INITIAL_REVIEW: Transition(
        Role.REVIEWER,
        frozenset({Status.SUBMITTED}),
        Status.INITIALLY_REVIEWED,
        Status.REJECTED,
        "art. 7(2)",
    ),
    # art. 7(3): the draft annual plan (annual projects only; art. 8 urgent
    # projects stand outside the plan).
    Action.DRAFT_PLAN: Transition(
        Role.REVIEWER,
        frozenset({Status.INITIALLY_REVIEWED}),
        Status.IN_DRAFT_PLAN,
        Status.REJECTED,
        "art. 7(3)",
    ),
    # art. 7(3): finance confirms where the money comes from.
    Action.CONFIRM_FUNDS: Transition(
        Role.FINANCE,
        frozenset({Status.IN_DRAFT_PLAN, Status.INITIALLY_REVIEWED}),
        Status.FUNDS_CONFIRMED,
        Status.REJECTED,
        "art. 7(3)",
    ),
    # art. 7(3): development and reform submits to the investment decision
    # committee.
    Action.SUBMIT_TO_COMMITTEE: Transition(
        Role.PLANNER,
        frozenset({Status.FUNDS_CONFIRMED}),
        Status.AT_COMMITTEE,
        None,
        "art. 7(3)",
    ),
    # art. 7(4): after the committee's decision, inclusion in the government
    # investment plan is the project approval (立项).
    Action.APPROVE_PROJECT: Transition(
        Role.PLANNER,
        frozenset({Status.AT_COMMITTEE}),
        Status.APPROVED,
        Status.REJECTED,
        "art. 7(4)",
        ("approval_document",),
    ),
    # art. 7(5): a qualified design institute's construction plan and
    # estimate, submitted to the approval bureau.
    Action.SUBMIT_CONSTRUCTION_PLAN: Transition(
        Role.APPLICANT,
        frozenset({Status.APPROVED}),
        Status.PLAN_SUBMITTED,
        None,
        "art. 7(5)",
        ("construction_plan", "design_estimate"),
    ),
    # art. 7(6): the bureau organises departments, experts or a third party.
    Action.START_TECHNICAL_REVIEW: Transition(
        Role.REVIEWER,
        frozenset({Status.PLAN_SUBMITTED}),
        Status.TECHNICAL_REVIEW,
        None,
        "art. 7(6)",
    ),
    # art. 7(6): technical review and approval; a plan sent back returns to
    # the requesting unit for a new submission.
    Action.TECHNICAL_REVIEW: Transition(
        Role.REVIEWER,
        frozenset({Status.TECHNICAL_REVIEW}),
        Status.BUDGET_REVIEW,
        Status.APPROVED,
        "art. 7(6)",
    ),
    # art. 7(6), art. 6: finance's budget review; its amount (the tender
    # control price) bounds procurement.
    Action.BUDGET_REVIEW: Transition(
        Role.FINANCE,
        frozenset({Status.BUDGET_REVIEW}),
        Status.PROCUREMENT,
        None,
        "art. 7(6)",
    ),
    # art. 7(7), 9, 11: procurement or tender, then implementation under a
    # named responsible person.
    Action.PROCUREMENT: Transition(
        Role.APPLICANT,
        frozenset({Status.PROCUREMENT}),
        Status.IMPLEMENTATION,
        None,
        "art. 9",
        ("contract",),
    ),
    # art. 12: acceptance organised by the requesting unit; a failed
    # acceptance leaves the project in implementation.
    Action.ACCEPTANCE: Transition(
        Role.APPLICANT,
        frozenset({Status.IMPLEMENTATION}),
        Status.ACCEPTED,
        Status.IMPLEMENTATION,
        "art. 12",
        ("acceptance_report",),
    ),
    # art. 12: settlement after a passed acceptance.
    Action.SETTLEMENT: Transition(
        Role.FINANCE,
        frozenset({Status.ACCEPTED}),
        Status.SETTLED,
        None,
        "art. 12",
        ("settlement_document",),
    ),
}

# art. 7(1): what an application must carry.
APPLICATION_DOCUMENTS = (
    "application_form",
    "preliminary_plan",
    "investment_estimate",
    "funding_plan",
)

# art. 12: large or specialised projects need third-party testing.
THIRD_PARTY_TEST_DOCUMENT = "third_party_test_report"

DOCUMENT_KINDS = (
    *APPLICATION_DOCUMENTS,
    "urgency_basis",
    "approval_document",
    "construction_plan",
    "design_estimate",
    "review_opinion",
    "contract",
    "acceptance_report",
    THIRD_PARTY_TEST_DOCUMENT,
    "settlement_document",
    "change_basis",
)

# art. 10: after approval, scope, standard and investment change only through
# an approved change request, and only while the project is still running.
CHANGEABLE_STATUSES = frozenset(
    {
        Status.APPROVED,
        Status.PLAN_SUBMITTED,
        Status.TECHNICAL_REVIEW,
        Status.BUDGET_REVIEW,
        Status.PROCUREMENT,
        Status.IMPLEMENTATION,
    }
)


# art. 7(3)-(4): after the initial review the approval bureau drafts next year's
# plan; the projects the committee approves enter the government investment plan
# and go on from there. Projects not yet past initial review, refused ones, and
# urgent projects (art. 8: outside the annual plan) are not in it.
PLAN_STATUSES = frozenset(
    {
        Status.IN_DRAFT_PLAN,
        Status.FUNDS_CONFIRMED,
        Status.AT_COMMITTEE,
        Status.APPROVED,
        Status.PLAN_SUBMITTED,
        Status.TECHNICAL_REVIEW,
        Status.BUDGET_REVIEW,
        Status.PROCUREMENT,
        Status.IMPLEMENTATION,
        Status.ACCEPTED,
        Status.SETTLED,
    }
)


def in_annual_plan(status: Status, kind: Kind) -> bool:
    """Whether a project appears in its year's annual plan (art. 7(3), art. 8)."""
    return kind == Kind.ANNUAL and status in PLAN_STATUSES


def transition_error(action: Action, status: Status, kind: Kind) -> str | None:
    """Why `action` cannot be taken on a project in `status`, as a code."""
    transition = TRANSITIONS[action]
    if status not in transition.sources:
        return "wrong_status"
    # art. 8: an urgent project outside the annual plan skips the draft plan.
    if action == Action.DRAFT_PLAN and kind == Kind.URGENT:
        return "urgent_not_in_plan"
    if action == Action.CONFIRM_FUNDS:
        expected = (
            Status.IN_DRAFT_PLAN if kind == Kind.ANNUAL else Status.INITIALLY_REVIEWED
        )
        if status != expected:
            return "wrong_status"
    return None


def next_status(action: Action, approved: bool) -> Status:
    """The status an action leads to."""
    transition = TRANSITIONS[action]
    if approved or transition.on_reject is None:
        return transition.on_approve
    return transition.on_reject


def can_reject(action: Action) -> bool:
    """Whether an action may end in a refusal."""
    return TRANSITIONS[action].on_reject is not None


def required_documents(action: Action, approved: bool, large: bool) -> tuple:
    """Documents an action needs (art. 7, 12)."""
    if not approved:
        return ()
    needed = TRANSITIONS[action].documents
    # art. 12: large or specialised projects are tested by a third party.
    if action == Action.ACCEPTANCE and large:
        needed = (*needed, THIRD_PARTY_TEST_DOCUMENT)
    return needed


def procurement_error(amount_fen: int, budget_fen: int) -> str | None:
    """The budget review result is the procurement ceiling (art. 7(6))."""
    if amount_fen > budget_fen:
        return "over_budget"
    return None


def budget_error(budget_fen: int, approved_investment_fen: int) -> str | None:
    """A budget above the approved investment needs a change first (art. 10)."""
    if budget_fen > approved_investment_fen:
        return "over_approved_investment"
    return None


def funding_error(
    approved: bool, already_fen: int, amount_fen: int, approved_investment_fen: int
) -> str | None:
    """Whether finance may record a payment to a project (art. 14, art. 10)."""
    # art. 14: a project the competent departments never approved gets no funds.
    if not approved:
        return "never_approved"
    # art. 10: spending stays within the approved investment.
    if already_fen + amount_fen > approved_investment_fen:
        return "over_approved_investment"
    return None


def change_error(status: Status, has_pending: bool, changes_anything: bool) -> str:
    """Why a change request cannot be filed now, as a code ("" when it can)."""
    if status not in CHANGEABLE_STATUSES:
        return "not_changeable"
    if has_pending:
        return "change_pending"
    if not changes_anything:
        return "no_change"
    return ""
