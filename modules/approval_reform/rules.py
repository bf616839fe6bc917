"""The approval reform (株政办发〔2019〕8号) as plain functions over plain values.

Section references ("section 2(6)") follow the notice: the Chinese numeral part,
then the bracketed item, then the numbered point.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from modules.approval_reform.models import (
    Category,
    InvestmentType,
    SegmentPermitKind,
    SideApprovalKind,
    StageKind,
)

# Section 1(3): total approval time limits in working days per category.
TIME_LIMITS = {
    Category.LAND_SOLD_WITH_PLAN: 40,
    Category.SOCIAL_SOLD_LAND: 50,
    Category.INDUSTRIAL_SMALL_MEDIUM: 50,
    Category.GOVERNMENT_LINEAR: 78,
    Category.GOVERNMENT_NON_LINEAR: 82,
    Category.OTHER: 100,
}

# Section 1(2)2: government categories are government investment, the sold-land
# categories social investment; "other" may be either.
CATEGORY_INVESTMENT = {
    Category.GOVERNMENT_LINEAR: {InvestmentType.GOVERNMENT},
    Category.GOVERNMENT_NON_LINEAR: {InvestmentType.GOVERNMENT},
    Category.SOCIAL_SOLD_LAND: {InvestmentType.SOCIAL},
    Category.INDUSTRIAL_SMALL_MEDIUM: {InvestmentType.SOCIAL},
    Category.LAND_SOLD_WITH_PLAN: {InvestmentType.SOCIAL},
    Category.OTHER: {InvestmentType.GOVERNMENT, InvestmentType.SOCIAL},
}

# Section 2(6): the limits of a small social-investment project.
SMALL_CIVIL_MAX_AREA_M2 = Decimal(5000)
SMALL_CIVIL_MAX_HEIGHT_M = Decimal(24)
SMALL_CIVIL_MAX_FLOORS = 7
SMALL_INDUSTRIAL_MAX_AREA_M2 = Decimal(10000)

# Section 1(2)3: one lead department per stage, by core department code. The
# merged stage of 2(6) starts with the planning permit, so planning leads it.
STAGE_LEAD_CODES = {
    StageKind.PROJECT_LAND_USE_PERMIT: "fgw",
    StageKind.ENGINEERING_PERMIT: "zrzyj",
    StageKind.CONSTRUCTION_PERMIT: "zjj",
    StageKind.ENGINEERING_CONSTRUCTION_PERMIT: "zrzyj",
    StageKind.COMPLETION_ACCEPTANCE: "zjj",
}

# Section 4(13): the result each stage produces, passed on to later steps and
# never asked of the applicant.
STAGE_RESULTS = {
    StageKind.PROJECT_LAND_USE_PERMIT: "land_use_planning_permit",
    StageKind.ENGINEERING_PERMIT: "engineering_planning_permit",
    StageKind.CONSTRUCTION_PERMIT: "construction_permit",
    StageKind.ENGINEERING_CONSTRUCTION_PERMIT: "construction_permit",
    StageKind.COMPLETION_ACCEPTANCE: "completion_acceptance_record",
}
GOVERNMENT_RESULTS = frozenset(STAGE_RESULTS.values())

# Section 1(2)3: the only wait that stops the clock is the applicant's; review,
# technical review, intermediaries and utilities all count toward the total.
PAUSE_REASONS = ("applicant",)
COUNTED_WAITS = ("government", "technical_review", "intermediary", "utility")

# Issue of the daily report and the supervision job: "due" means within 3
# working days; section 4(15) escalates stages nearing or past their limit.
DUE_SOON_WORKING_DAYS = 3

# Section 2(4)3(2): municipal facility (road occupation/excavation) approvals.
MUNICIPAL_FACILITY_WORKING_DAYS = 6
# Section 6(19)3: first property registration of a small project.
FIRST_REGISTRATION_WORKING_DAYS = 3
SIDE_APPROVAL_LIMITS = {
    SideApprovalKind.MUNICIPAL_FACILITY: MUNICIPAL_FACILITY_WORKING_DAYS,
    SideApprovalKind.FIRST_REGISTRATION: FIRST_REGISTRATION_WORKING_DAYS,
}
# Section 6(19)3 names the registry; 2(4)3(2) the urban management bureau.
SIDE_APPROVAL_LEAD_CODES = {
    SideApprovalKind.MUNICIPAL_FACILITY: "cgj",
    SideApprovalKind.FIRST_REGISTRATION: "zrzyj",
}

# Section 7(20): what each segment receives, in order, and who issues it.
SEGMENT_PERMIT_ORDER = (
    SegmentPermitKind.LAND_HANDOVER_NOTICE,
    SegmentPermitKind.ALLOCATION_DECISION,
    SegmentPermitKind.LAND_USE_PLANNING_PERMIT,
    SegmentPermitKind.ENGINEERING_PLANNING_PERMIT,
    SegmentPermitKind.CONSTRUCTION_PERMIT,
)
SEGMENT_PERMIT_ISSUERS = {
    SegmentPermitKind.LAND_HANDOVER_NOTICE: "zrzyj",
    SegmentPermitKind.ALLOCATION_DECISION: "zrzyj",
    SegmentPermitKind.LAND_USE_PLANNING_PERMIT: "zrzyj",
    SegmentPermitKind.ENGINEERING_PLANNING_PERMIT: "zrzyj",
    SegmentPermitKind.CONSTRUCTION_PERMIT: "zjj",
}


@dataclass(frozen=True)
class Facts:
    """What decides a project's approval path."""

    category: Category
    investment_type: InvestmentType
    building_area_m2: Decimal
    height_m: Decimal
    floors: int
    has_basement: bool = False
    simple_function: bool = False
    is_industrial: bool = False
    national_security: bool = False
    ecological_security: bool = False
    major_infrastructure: bool = False
    major_public_interest: bool = False


@dataclass(frozen=True)
class Profile:
    """What the module derives from the facts."""

    small_project: bool
    time_limit_working_days: int
    stages: list[StageKind]
    supervision_required: bool


def investment_matches(category: Category, investment: InvestmentType) -> bool:
    """Whether the investment type fits the category (section 1(2)2)."""
    return investment in CATEGORY_INVESTMENT[category]


def touches_public_interest(facts: Facts) -> bool:
    """National or ecological security, major infrastructure or public interest.

    Section 2(6): either kind of small project loses that status if it does.
    """
    return (
        facts.national_security
        or facts.ecological_security
        or facts.major_infrastructure
        or facts.major_public_interest
    )


def is_small_civil(facts: Facts) -> bool:
    """A civil building of at most 5,000 m², 24 m and 7 floors (section 2(6)).

    "不大于 / 不超过" are inclusive; no basement and a simple function.
    """
    return (
        not facts.is_industrial
        and facts.building_area_m2 <= SMALL_CIVIL_MAX_AREA_M2
        and facts.height_m <= SMALL_CIVIL_MAX_HEIGHT_M
        and facts.floors <= SMALL_CIVIL_MAX_FLOORS
        and not facts.has_basement
        and facts.simple_function
    )


def is_small_industrial(facts: Facts) -> bool:
    """An industrial project of at most 10,000 m² (section 2(6))."""
    return (
        facts.is_industrial and facts.building_area_m2 <= SMALL_INDUSTRIAL_MAX_AREA_M2
    )


def is_small_project(facts: Facts) -> bool:
    """A small social-investment project (section 2(6))."""
    if facts.investment_type != InvestmentType.SOCIAL:
        return False
    if touches_public_interest(facts):
        return False
    return is_small_civil(facts) or is_small_industrial(facts)


def time_limit(category: Category) -> int:
    """The total approval limit of a category, in working days (section 1(3))."""
    return TIME_LIMITS[category]


def stage_plan(category: Category, small: bool) -> list[StageKind]:
    """The stages a project passes, in order.

    Four stages (1(2)3); small projects skip the project and land-use stage
    (6(19)1); land sold with plan merges the engineering and construction
    permits into one stage (2(6)).
    """
    stages = [
        StageKind.PROJECT_LAND_USE_PERMIT,
        StageKind.ENGINEERING_PERMIT,
        StageKind.CONSTRUCTION_PERMIT,
        StageKind.COMPLETION_ACCEPTANCE,
    ]
    if small:
        stages.remove(StageKind.PROJECT_LAND_USE_PERMIT)
    if category == Category.LAND_SOLD_WITH_PLAN:
        index = stages.index(StageKind.ENGINEERING_PERMIT)
        stages[index : index + 2] = [StageKind.ENGINEERING_CONSTRUCTION_PERMIT]
    return stages


def supervision_required(small: bool) -> bool:
    """Small projects need no mandatory works supervision (section 6(19)2)."""
    return not small


def profile(facts: Facts) -> Profile:
    """Small status, time limit and stage plan of a project."""
    small = is_small_project(facts)
    return Profile(
        small_project=small,
        time_limit_working_days=time_limit(facts.category),
        stages=stage_plan(facts.category, small),
        supervision_required=supervision_required(small),
    )


def pause_allowed(waiting_on: str) -> bool:
    """Only a wait on the applicant's corrections stops the clock (1(2)3)."""
    return waiting_on in PAUSE_REASONS


def _merged(pauses: list[tuple[date, date | None]], until: date):
    spans = sorted(
        (start, min(end or until, until)) for start, end in pauses if start < until
    )
    merged: list[list[date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def paused_working_days(
    pauses: list[tuple[date, date | None]],
    until: date,
    count_between: Callable[[date, date], int],
) -> int:
    """Working days the clock stood still up to `until` (section 1(2)3).

    A pause from P to R stops the working days after P up to and including R:
    the day corrections are asked for still counts, the day they come back does
    not, like the start day of any "within N working days".
    """
    return sum(
        count_between(start, end)
        for start, end in _merged(pauses, until)
        if end > start
    )


def elapsed_working_days(
    start: date,
    end: date,
    pauses: list[tuple[date, date | None]],
    count_between: Callable[[date, date], int],
) -> int:
    """Working days a clock has run from `start` to `end`, net of pauses."""
    if end <= start:
        return 0
    return count_between(start, end) - paused_working_days(pauses, end, count_between)


def deadline_offset(limit: int, paused: int) -> int:
    """Working days after the start on which the limit ends, pauses added."""
    return limit + paused


def stage_time_limit(item_limits: list[int], remaining: int | None) -> int | None:
    """A stage's limit: its longest catalogue item, within what the total leaves.

    Items of a stage run in parallel (1(2)3), so the longest governs; the
    stage can never outlast the project's remaining total (1(3)).
    """
    own = max(item_limits) if item_limits else None
    if remaining is None:
        return own
    remaining = max(remaining, 0)
    return remaining if own is None else min(own, remaining)


def due_status(days_left: int) -> str | None:
    """ "overdue" past the deadline, "due_soon" within 3 working days, else None."""
    if days_left < 0:
        return "overdue"
    if days_left <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return None


def escalation_kind(days_left: int) -> str | None:
    """How a key project's stage is escalated (section 4(15))."""
    status = due_status(days_left)
    if status == "overdue":
        return "overdue"
    if status == "due_soon":
        return "near_limit"
    return None


def may_approve_stage(opinions: list[str]) -> bool:
    """The lead may approve once every parallel opinion is in (1(2)3, 4(14))."""
    return all(opinion != "pending" for opinion in opinions)


def may_commit(item_allows: bool, adverse_credit: bool) -> bool:
    """Notify-and-commit needs a listed item and the applicant's good credit.

    Section 2(9): the department decides "根据申请人信用等情况".
    """
    return item_allows and not adverse_credit


def is_commitment_checkpoint(stage: StageKind) -> bool:
    """The construction permit is where commitments are checked (2(9))."""
    return stage in (
        StageKind.CONSTRUCTION_PERMIT,
        StageKind.ENGINEERING_CONSTRUCTION_PERMIT,
    )


def may_use_segments(category: Category) -> bool:
    """Only linear works are approved segment by segment (7(20))."""
    return category == Category.GOVERNMENT_LINEAR


def next_segment_permit(issued: set[SegmentPermitKind]) -> SegmentPermitKind | None:
    """The next permit a segment may receive, in the order of 7(20)."""
    for kind in SEGMENT_PERMIT_ORDER:
        if kind not in issued:
            return kind
    return None


def may_apply_side_approval(kind: SideApprovalKind, small: bool) -> bool:
    """First registration on 3 working days is for small projects (6(19)3)."""
    return kind != SideApprovalKind.FIRST_REGISTRATION or small


def average_working_days(values: list[int]) -> Decimal | None:
    """The mean of working-day counts to one decimal, or None without values."""
    if not values:
        return None
    mean = Decimal(sum(values)) / Decimal(len(values))
    return mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
