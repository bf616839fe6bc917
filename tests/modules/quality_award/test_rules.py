"""The award's rules at each boundary they draw; pure functions, no database."""

from datetime import date
from decimal import Decimal

import pytest

from modules.quality_award import rules
from modules.quality_award.rules import ApplicantKind, State, TrackingEvent

ORG = ApplicantKind.ORGANISATION
PERSON = ApplicantKind.INDIVIDUAL


def codes(reasons):
    return [r.code for r in reasons]


def org_facts(**kw):
    base = {"kind": ORG, "on": date(2026, 6, 15), "operating_since": date(2010, 1, 1)}
    base.update(kw)
    return rules.ApplicantFacts(**base)


def person_facts(**kw):
    base = {
        "kind": PERSON,
        "on": date(2026, 6, 15),
        "quality_work_since": date(2000, 1, 1),
    }
    base.update(kw)
    return rules.ApplicantFacts(**base)


def test_operation_of_exactly_five_years_is_eligible():
    facts = org_facts(operating_since=date(2021, 6, 15))

    assert rules.eligibility_reasons(facts) == []


def test_operation_one_day_short_of_five_years_is_refused():
    facts = org_facts(operating_since=date(2021, 6, 16))

    reasons = rules.eligibility_reasons(facts)

    assert codes(reasons) == ["operation_too_short"]
    assert reasons[0].article == "art. 9(1)"
    assert reasons[0].params["from"] == "2026-06-16"


def test_quality_work_of_exactly_eight_years_is_eligible():
    facts = person_facts(quality_work_since=date(2018, 6, 15))

    assert rules.eligibility_reasons(facts) == []


def test_quality_work_one_day_short_of_eight_years_is_refused():
    facts = person_facts(quality_work_since=date(2018, 6, 16))

    assert codes(rules.eligibility_reasons(facts)) == ["quality_work_too_short"]


def test_win_on_last_day_of_six_year_ban_is_refused():
    facts = org_facts(on=date(2026, 6, 14), previous_wins=(date(2020, 6, 15),))

    reasons = rules.eligibility_reasons(facts)

    assert codes(reasons) == ["recent_win"]
    assert reasons[0].article == "art. 11"


def test_win_six_years_ago_to_the_day_is_no_longer_a_bar():
    facts = org_facts(on=date(2026, 6, 15), previous_wins=(date(2020, 6, 15),))

    assert rules.eligibility_reasons(facts) == []


def test_major_accident_within_five_years_is_refused():
    facts = org_facts(last_major_accident_on=date(2021, 6, 16))

    assert codes(rules.eligibility_reasons(facts)) == ["recent_major_accident"]


def test_major_accident_exactly_five_years_ago_is_outside_the_window():
    facts = org_facts(last_major_accident_on=date(2021, 6, 15))

    assert rules.eligibility_reasons(facts) == []


def test_violation_within_five_years_is_refused_for_organisation():
    facts = org_facts(last_violation_on=date(2025, 1, 1))

    assert codes(rules.eligibility_reasons(facts)) == ["recent_violation"]


def test_any_violation_is_refused_for_individual():
    facts = person_facts(last_violation_on=date(2001, 1, 1))

    assert codes(rules.eligibility_reasons(facts)) == ["individual_violation"]


def test_bad_credit_is_refused_with_its_summary():
    facts = org_facts(adverse_credit=("列入失信名单",))

    reasons = rules.eligibility_reasons(facts)

    assert codes(reasons) == ["bad_credit"]
    assert reasons[0].article == "art. 9(4)"


def test_organisation_outside_zhuzhou_is_refused():
    facts = org_facts(registered_in_zhuzhou=False)

    assert codes(rules.eligibility_reasons(facts)) == ["not_in_zhuzhou"]


def test_every_failed_condition_is_listed():
    facts = org_facts(
        operating_since=date(2024, 1, 1),
        adverse_credit=("x",),
        previous_wins=(date(2023, 1, 1),),
    )

    assert codes(rules.eligibility_reasons(facts)) == [
        "operation_too_short",
        "bad_credit",
        "recent_win",
    ]


def test_leap_day_anniversary_falls_on_28_february():
    assert rules.add_years(date(2020, 2, 29), 5) == date(2025, 2, 28)


def test_years_past_the_calendar_ends_are_out_of_range():
    assert rules.add_years(date(4, 6, 1), -3) == date(1, 6, 1)
    with pytest.raises(OverflowError):
        rules.add_years(date(3, 6, 1), -3)
    with pytest.raises(OverflowError):
        rules.add_years(date(9998, 6, 1), 3)


@pytest.mark.parametrize(
    ("kind", "already", "refused"),
    [(ORG, 4, False), (ORG, 5, True), (PERSON, 2, False), (PERSON, 3, True)],
)
def test_quota_refuses_sixth_organisation_and_fourth_individual(kind, already, refused):
    reason = rules.quota_reason(kind, already)

    assert (reason is not None) == refused


def test_bonus_is_500000_yuan_for_organisation_and_100000_for_individual():
    assert rules.bonus_fen(ORG) == 50_000_000
    assert rules.bonus_fen(PERSON) == 10_000_000


@pytest.mark.parametrize(
    ("score", "ok"),
    [
        (Decimal("0"), True),
        (Decimal("100"), True),
        (Decimal("100.01"), False),
        (Decimal("-0.01"), False),
    ],
)
def test_score_range_boundaries(score, ok):
    assert (rules.score_reason(score) is None) == ok


def test_transition_from_wrong_state_is_refused():
    reasons = rules.check_transition("accept", State.SUBMITTED, ORG, "")

    assert codes(reasons) == ["wrong_state"]


def test_transition_needing_an_opinion_is_refused_without_one():
    reasons = rules.check_transition("refuse", State.PRE_REVIEWED, ORG, "  ")

    assert codes(reasons) == ["opinion_required"]


def test_survey_is_for_organisations_only():
    reasons = rules.check_transition(
        "record_survey", State.ONSITE_REVIEWED, PERSON, "x"
    )

    assert codes(reasons) == ["survey_organisations_only"]


def test_organisation_is_shortlisted_only_after_its_survey():
    assert codes(
        rules.check_transition("shortlist", State.ONSITE_REVIEWED, ORG, "")
    ) == ["survey_missing"]
    assert rules.check_transition("shortlist", State.ONSITE_REVIEWED, PERSON, "") == []


def test_allowed_actions_skip_the_survey_for_individuals():
    assert "record_survey" not in rules.allowed_actions(State.ONSITE_REVIEWED, PERSON)
    assert "record_survey" in rules.allowed_actions(State.ONSITE_REVIEWED, ORG)


def test_cycles_are_three_years_apart():
    assert rules.next_cycle_year(2023, 2026)
    assert not rules.next_cycle_year(2023, 2025)
    assert rules.next_cycle_year(None, 2026)


def test_recommended_needs_more_than_half_of_free_members():
    tallies = [
        rules.VoteTally(1, ORG, in_favour=2, eligible_members=4),
        rules.VoteTally(2, ORG, in_favour=3, eligible_members=4),
        rules.VoteTally(3, ORG, in_favour=2, eligible_members=3),
    ]

    assert rules.recommended(tallies) == {2, 3}


def test_recommended_keeps_within_the_quota():
    tallies = [
        rules.VoteTally(
            i, PERSON, in_favour=3, eligible_members=3, evaluation_score=Decimal(i)
        )
        for i in range(1, 6)
    ]

    assert rules.recommended(tallies) == {5, 4, 3}


def test_anonymous_objection_is_refused():
    missing = rules.objection_reasons("", "理由", "证据", "电话")

    assert missing == {"objector_name": "anonymous_objection"}


def test_objection_without_evidence_or_contact_is_refused():
    missing = rules.objection_reasons("周某", "理由", "", "")

    assert set(missing) == {"evidence", "objector_contact"}


def test_tracking_event_on_last_day_of_three_years_counts():
    reason = rules.tracking_reason(
        TrackingEvent.FAILED_SPOT_CHECK, ORG, date(2026, 1, 10), date(2029, 1, 9), True
    )

    assert reason is None


def test_tracking_event_three_years_after_award_does_not_count():
    reason = rules.tracking_reason(
        TrackingEvent.FAILED_SPOT_CHECK, ORG, date(2026, 1, 10), date(2029, 1, 10), True
    )

    assert reason.code == "outside_tracking"


def test_individual_without_responsibility_is_not_revoked():
    reason = rules.tracking_reason(
        TrackingEvent.MAJOR_ACCIDENT, PERSON, date(2026, 1, 10), date(2027, 1, 1), False
    )

    assert reason.code == "no_responsibility"


def test_fraud_revokes_at_any_time():
    reason = rules.tracking_reason(
        TrackingEvent.FRAUD, ORG, date(2026, 1, 10), date(2035, 1, 1), False
    )

    assert reason is None


def test_art_32_lists_eight_events():
    assert len(rules.ART_32_EVENTS) == 8


def test_bonus_use_outside_art_27_is_not_permitted_for_organisation():
    assert rules.bonus_use_permitted(ORG, rules.BonusUse.TRAINING)
    assert not rules.bonus_use_permitted(ORG, rules.BonusUse.OTHER)


def test_clawback_is_settled_only_with_money_trophy_and_certificate_back():
    owing = rules.ClawbackState(100, 100, True, False)
    settled = rules.ClawbackState(100, 100, True, True)

    assert not owing.settled
    assert settled.settled
    assert rules.ClawbackState(100, 40, True, True).outstanding_fen == 60


def test_reviewer_overall_weighs_office_score_and_ratings():
    assert rules.reviewer_overall(Decimal(80), [5, 5]) == Decimal("90.00")
    assert rules.reviewer_overall(None, [4]) == Decimal("80.00")
    assert rules.reviewer_overall(None, []) is None


def test_notice_must_end_after_it_starts():
    assert rules.notice_end_reason(date(2026, 7, 1), date(2026, 7, 1)) is not None
    assert rules.notice_end_reason(date(2026, 7, 1), date(2026, 7, 8)) is None
