"""The policy rules of 株政办发〔2019〕8号 at their boundaries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from modules.approval_reform import rules
from modules.approval_reform.models import (
    Category,
    InvestmentType,
    SegmentPermitKind,
    SideApprovalKind,
    StageKind,
)

P, E, C, M, A = (
    StageKind.PROJECT_LAND_USE_PERMIT,
    StageKind.ENGINEERING_PERMIT,
    StageKind.CONSTRUCTION_PERMIT,
    StageKind.ENGINEERING_CONSTRUCTION_PERMIT,
    StageKind.COMPLETION_ACCEPTANCE,
)


def civil(**changes):
    values = dict(
        category=Category.SOCIAL_SOLD_LAND,
        investment_type=InvestmentType.SOCIAL,
        building_area_m2=Decimal("5000"),
        height_m=Decimal("24"),
        floors=7,
        has_basement=False,
        simple_function=True,
    )
    values.update(changes)
    return rules.Facts(**values)


def industrial(**changes):
    values = dict(
        category=Category.INDUSTRIAL_SMALL_MEDIUM,
        investment_type=InvestmentType.SOCIAL,
        building_area_m2=Decimal("10000"),
        height_m=Decimal("30"),
        floors=9,
        is_industrial=True,
    )
    values.update(changes)
    return rules.Facts(**values)


def test_small_project_at_exactly_5000_m2_24_m_7_floors():
    assert rules.is_small_project(civil())


def test_small_project_area_above_5000_is_not_small():
    assert not rules.is_small_project(civil(building_area_m2=Decimal("5000.01")))


def test_small_project_height_above_24_is_not_small():
    assert not rules.is_small_project(civil(height_m=Decimal("24.01")))


def test_small_project_eight_floors_is_not_small():
    assert not rules.is_small_project(civil(floors=8))


def test_small_project_basement_is_not_small():
    assert not rules.is_small_project(civil(has_basement=True))


def test_small_project_complex_function_is_not_small():
    assert not rules.is_small_project(civil(simple_function=False))


def test_small_project_industrial_at_exactly_10000_m2():
    assert rules.is_small_project(industrial())


def test_small_project_industrial_above_10000_is_not_small():
    assert not rules.is_small_project(industrial(building_area_m2=Decimal("10000.01")))


def test_small_project_civil_of_6000_m2_is_not_small_though_under_industrial_cap():
    assert not rules.is_small_project(civil(building_area_m2=Decimal("6000")))


@pytest.mark.parametrize(
    "flag",
    [
        "national_security",
        "ecological_security",
        "major_infrastructure",
        "major_public_interest",
    ],
)
def test_small_project_public_interest_excludes_civil(flag):
    assert not rules.is_small_project(civil(**{flag: True}))


@pytest.mark.parametrize("flag", ["major_public_interest", "national_security"])
def test_small_project_public_interest_excludes_industrial(flag):
    assert not rules.is_small_project(industrial(**{flag: True}))


def test_small_project_government_investment_is_never_small():
    facts = civil(category=Category.OTHER, investment_type=InvestmentType.GOVERNMENT)
    assert not rules.is_small_project(facts)


@pytest.mark.parametrize(
    "category,limit",
    [
        (Category.LAND_SOLD_WITH_PLAN, 40),
        (Category.SOCIAL_SOLD_LAND, 50),
        (Category.INDUSTRIAL_SMALL_MEDIUM, 50),
        (Category.GOVERNMENT_LINEAR, 78),
        (Category.GOVERNMENT_NON_LINEAR, 82),
        (Category.OTHER, 100),
    ],
)
def test_time_limit_per_category(category, limit):
    assert rules.time_limit(category) == limit


def test_stage_plan_four_stages():
    assert rules.stage_plan(Category.SOCIAL_SOLD_LAND, False) == [P, E, C, A]


def test_stage_plan_small_project_has_three_stages():
    assert rules.stage_plan(Category.SOCIAL_SOLD_LAND, True) == [E, C, A]


def test_stage_plan_land_sold_with_plan_merges_permits():
    assert rules.stage_plan(Category.LAND_SOLD_WITH_PLAN, False) == [P, M, A]


def test_stage_plan_small_land_sold_with_plan_merges_and_drops_first():
    assert rules.stage_plan(Category.LAND_SOLD_WITH_PLAN, True) == [M, A]


def test_profile_small_project_needs_no_supervision():
    result = rules.profile(civil())
    assert result.small_project and not result.supervision_required
    assert result.time_limit_working_days == 50


@pytest.mark.parametrize(
    "category,investment,ok",
    [
        (Category.GOVERNMENT_LINEAR, InvestmentType.SOCIAL, False),
        (Category.GOVERNMENT_NON_LINEAR, InvestmentType.GOVERNMENT, True),
        (Category.LAND_SOLD_WITH_PLAN, InvestmentType.GOVERNMENT, False),
        (Category.OTHER, InvestmentType.GOVERNMENT, True),
        (Category.OTHER, InvestmentType.SOCIAL, True),
    ],
)
def test_investment_matches_category(category, investment, ok):
    assert rules.investment_matches(category, investment) is ok


@pytest.mark.parametrize(
    "waiting_on,ok",
    [
        ("applicant", True),
        ("government", False),
        ("technical_review", False),
        ("intermediary", False),
        ("utility", False),
    ],
)
def test_pause_allowed_only_for_applicant(waiting_on, ok):
    assert rules.pause_allowed(waiting_on) is ok


def weekdays_between(start, end):
    """Plain weekdays after start up to end (stand-in calendar)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += day.weekday() < 5
    return days


def test_elapsed_working_days_without_pause():
    assert (
        rules.elapsed_working_days(
            date(2026, 3, 2), date(2026, 3, 9), [], weekdays_between
        )
        == 5
    )


def test_elapsed_working_days_pause_end_day_does_not_count():
    pauses = [(date(2026, 3, 3), date(2026, 3, 5))]
    # Mar 4 and 5 stand still; Mar 3, 6 and 9 run.
    assert (
        rules.elapsed_working_days(
            date(2026, 3, 2), date(2026, 3, 9), pauses, weekdays_between
        )
        == 3
    )


def test_paused_working_days_open_pause_counts_to_today():
    pauses = [(date(2026, 3, 3), None)]
    assert rules.paused_working_days(pauses, date(2026, 3, 6), weekdays_between) == 3


def test_paused_working_days_overlaps_count_once():
    pauses = [
        (date(2026, 3, 3), date(2026, 3, 5)),
        (date(2026, 3, 4), date(2026, 3, 6)),
    ]
    assert rules.paused_working_days(pauses, date(2026, 3, 9), weekdays_between) == 3


def test_stage_time_limit_longest_item_within_remaining():
    assert rules.stage_time_limit([5, 12, 8], 50) == 12
    assert rules.stage_time_limit([5, 12, 8], 10) == 10
    assert rules.stage_time_limit([], 30) == 30
    assert rules.stage_time_limit([7], None) == 7
    assert rules.stage_time_limit([], None) is None


@pytest.mark.parametrize(
    "days_left,status",
    [(4, None), (3, "due_soon"), (0, "due_soon"), (-1, "overdue")],
)
def test_due_status_at_three_working_days(days_left, status):
    assert rules.due_status(days_left) == status


@pytest.mark.parametrize(
    "days_left,kind", [(4, None), (3, "near_limit"), (-1, "overdue")]
)
def test_escalation_kind(days_left, kind):
    assert rules.escalation_kind(days_left) == kind


def test_may_approve_stage_needs_every_opinion():
    assert rules.may_approve_stage(["agree", "object"])
    assert not rules.may_approve_stage(["agree", "pending"])
    assert rules.may_approve_stage([])


@pytest.mark.parametrize(
    "allows,adverse,ok",
    [(True, False, True), (True, True, False), (False, False, False)],
)
def test_may_commit(allows, adverse, ok):
    assert rules.may_commit(allows, adverse) is ok


def test_commitment_checkpoint_is_construction_permit():
    assert rules.is_commitment_checkpoint(C)
    assert rules.is_commitment_checkpoint(M)
    assert not rules.is_commitment_checkpoint(E)


def test_segments_only_for_linear_works():
    assert rules.may_use_segments(Category.GOVERNMENT_LINEAR)
    assert not rules.may_use_segments(Category.GOVERNMENT_NON_LINEAR)


def test_next_segment_permit_in_order():
    assert rules.next_segment_permit(set()) == SegmentPermitKind.LAND_HANDOVER_NOTICE
    issued = set(rules.SEGMENT_PERMIT_ORDER[:4])
    assert rules.next_segment_permit(issued) == SegmentPermitKind.CONSTRUCTION_PERMIT
    assert rules.next_segment_permit(set(rules.SEGMENT_PERMIT_ORDER)) is None


def test_side_approval_limits():
    assert rules.SIDE_APPROVAL_LIMITS[SideApprovalKind.MUNICIPAL_FACILITY] == 6
    assert rules.SIDE_APPROVAL_LIMITS[SideApprovalKind.FIRST_REGISTRATION] == 3


def test_first_registration_only_for_small_projects():
    kind = SideApprovalKind.FIRST_REGISTRATION
    assert rules.may_apply_side_approval(kind, True)
    assert not rules.may_apply_side_approval(kind, False)
    assert rules.may_apply_side_approval(SideApprovalKind.MUNICIPAL_FACILITY, False)


def test_average_working_days_rounds_half_up():
    assert rules.average_working_days([10, 11]) == Decimal("10.5")
    assert rules.average_working_days([1, 1, 2]) == Decimal("1.3")
    assert rules.average_working_days([]) is None
