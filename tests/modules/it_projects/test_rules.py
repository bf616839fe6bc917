"""The measure's rules at their boundaries, without a database."""

from datetime import date

import pytest

from modules.it_projects import rules
from modules.it_projects.rules import (
    Action,
    Concern,
    FundingSource,
    Kind,
    ScopeInput,
    Status,
)


def scope(software=0, integration=0, sources=("fiscal",), concerns=(), secrecy=False):
    return rules.check_scope(
        ScopeInput(
            funding_sources=frozenset(FundingSource(s) for s in sources),
            concerns=frozenset(Concern(c) for c in concerns),
            software_development_fen=software,
            system_integration_fen=integration,
            secrecy=secrecy,
        )
    )


def test_scope_software_exactly_50000_yuan_is_out():
    result = scope(software=50_000_00)

    assert not result.in_scope
    assert "below_thresholds" in result.reasons


def test_scope_software_50000_yuan_and_one_fen_is_in():
    assert scope(software=50_000_01).in_scope


def test_scope_software_50001_yuan_is_in():
    result = scope(software=50_001_00)

    assert result.in_scope
    assert result.reasons == ["public_funds", "software_over_threshold"]


def test_scope_integration_exactly_100000_yuan_is_out():
    assert not scope(integration=100_000_00).in_scope


def test_scope_integration_100000_yuan_and_one_fen_is_in():
    assert scope(integration=100_000_01).in_scope


def test_scope_integration_100001_yuan_is_in():
    result = scope(integration=100_001_00)

    assert result.in_scope
    assert "integration_over_threshold" in result.reasons


def test_scope_secrecy_project_is_excluded_whatever_its_size():
    result = scope(software=5_000_000_00, secrecy=True)

    assert not result.in_scope
    assert result.reasons == ["secrecy_excluded"]


def test_scope_self_raised_without_public_concern_is_out():
    result = scope(software=60_000_00, sources=("self_raised",))

    assert not result.in_scope
    assert "private_without_public_concern" in result.reasons


def test_scope_social_investment_touching_network_security_is_in():
    result = scope(
        integration=200_000_00,
        sources=("social_investment",),
        concerns=("network_security",),
    )

    assert result.in_scope
    assert "public_concern" in result.reasons


@pytest.mark.parametrize(
    "source", ["fiscal", "higher_level_special", "government_financing"]
)
def test_scope_public_sources_bring_a_project_in(source):
    assert scope(software=60_000_00, sources=(source,)).in_scope


def test_platform_separate_servers_are_flagged():
    result = rules.check_platform(["server", "machine_room"])

    assert result.flagged == ["machine_room", "server"]
    assert result.is_flagged


def test_platform_listed_exceptions_are_accepted():
    result = rules.check_platform(
        [
            "front_end_switch",
            "video_surveillance",
            "large_screen_control",
            "supporting_equipment_room",
        ]
    )

    assert not result.is_flagged
    assert len(result.accepted) == 4


def test_platform_nothing_requested_is_not_flagged():
    assert not rules.check_platform([]).is_flagged


def test_technical_review_limit_is_10_working_days():
    assert rules.technical_review_days(experts=False, third_party=False) == 10


def test_technical_review_limit_with_experts_is_20():
    assert rules.technical_review_days(experts=True, third_party=False) == 20


def test_technical_review_limit_with_third_party_is_20():
    assert rules.technical_review_days(experts=False, third_party=True) == 20


def test_call_default_window_is_the_august_before_the_plan_year():
    assert rules.default_call_window(2026) == (date(2025, 8, 1), date(2025, 8, 31))


def test_call_is_open_on_its_first_and_last_day_only():
    opens, closes = date(2025, 8, 1), date(2025, 8, 31)

    assert rules.call_is_open(opens, closes, opens)
    assert rules.call_is_open(opens, closes, closes)
    assert not rules.call_is_open(opens, closes, date(2025, 7, 31))
    assert not rules.call_is_open(opens, closes, date(2025, 9, 1))


def test_call_window_in_the_plan_year_itself_is_refused():
    errors = rules.call_window_errors(2026, date(2026, 8, 1), date(2026, 8, 31))

    assert errors == {"opens_on": ["call_not_in_year_before_plan"]}


def test_call_closing_before_opening_is_refused():
    errors = rules.call_window_errors(2026, date(2025, 8, 10), date(2025, 8, 9))

    assert errors == {"closes_on": ["call_closes_before_it_opens"]}


def test_call_closing_reminder_is_a_week_before():
    assert rules.closing_reminder_date(date(2025, 8, 31)) == date(2025, 8, 24)


def test_transition_from_the_wrong_status_is_refused():
    code = rules.transition_error(
        Action.TECHNICAL_REVIEW, Status.BUDGET_REVIEW, Kind.ANNUAL
    )

    assert code == "wrong_status"


def test_transition_urgent_project_skips_the_draft_plan():
    assert (
        rules.transition_error(
            Action.DRAFT_PLAN, Status.INITIALLY_REVIEWED, Kind.URGENT
        )
        == "urgent_not_in_plan"
    )
    assert (
        rules.transition_error(
            Action.CONFIRM_FUNDS, Status.INITIALLY_REVIEWED, Kind.URGENT
        )
        is None
    )


def test_transition_annual_project_needs_the_draft_plan_before_funds():
    code = rules.transition_error(
        Action.CONFIRM_FUNDS, Status.INITIALLY_REVIEWED, Kind.ANNUAL
    )

    assert code == "wrong_status"


def test_next_status_of_a_returned_technical_review_is_approved():
    assert rules.next_status(Action.TECHNICAL_REVIEW, False) == Status.APPROVED


def test_next_status_of_a_failed_acceptance_stays_in_implementation():
    assert rules.next_status(Action.ACCEPTANCE, False) == Status.IMPLEMENTATION


def test_acceptance_of_a_large_project_needs_third_party_testing():
    needed = rules.required_documents(Action.ACCEPTANCE, True, large=True)

    assert "third_party_test_report" in needed


def test_acceptance_of_a_small_project_needs_no_third_party_testing():
    needed = rules.required_documents(Action.ACCEPTANCE, True, large=False)

    assert "third_party_test_report" not in needed


def test_procurement_exactly_at_the_budget_is_allowed():
    assert rules.procurement_error(500_000_00, 500_000_00) is None


def test_procurement_one_fen_over_the_budget_is_refused():
    assert rules.procurement_error(500_000_01, 500_000_00) == "over_budget"


def test_funding_of_a_never_approved_project_is_refused():
    assert rules.funding_error(False, 0, 1, 10_000) == "never_approved"


def test_funding_up_to_the_approved_investment_is_allowed():
    assert rules.funding_error(True, 6_000, 4_000, 10_000) is None


def test_funding_beyond_the_approved_investment_is_refused():
    assert rules.funding_error(True, 6_000, 4_001, 10_000) == "over_approved_investment"


def test_change_before_approval_is_refused():
    assert rules.change_error(Status.SUBMITTED, False, True) == "not_changeable"


def test_change_while_another_is_pending_is_refused():
    assert rules.change_error(Status.APPROVED, True, True) == "change_pending"


def test_change_of_nothing_is_refused():
    assert rules.change_error(Status.APPROVED, False, False) == "no_change"


def test_change_during_implementation_is_allowed():
    assert rules.change_error(Status.IMPLEMENTATION, False, True) == ""
