"""The policy of 株政办发〔2019〕10号 at every boundary, without a database."""

from datetime import date
from decimal import Decimal

import pytest

from modules.safety_assessment import rules
from modules.safety_assessment.rules import (
    AccidentKind,
    AccidentLevel,
    CountedAccident,
    Grade,
    PreWarningKind,
    RuleSettings,
    SanctionKind,
    UnitFacts,
    UnitKind,
    YellowCardRule,
)

P, FF = AccidentKind.PRODUCTION, AccidentKind.FOREST_FIRE
GENERAL, SERIOUS = AccidentLevel.GENERAL, AccidentLevel.SERIOUS
MAJOR, EM = AccidentLevel.MAJOR, AccidentLevel.ESPECIALLY_MAJOR
MILLION = Decimal(1_000_000)


# Accident levels --------------------------------------------------------------


@pytest.mark.parametrize(
    ("deaths", "level"),
    [
        (0, GENERAL),
        (2, GENERAL),
        (3, SERIOUS),
        (9, SERIOUS),
        (10, MAJOR),
        (29, MAJOR),
        (30, EM),
    ],
)
def test_accident_level_by_deaths(deaths, level):
    assert rules.accident_level(P, deaths, 0) == level


@pytest.mark.parametrize(
    ("injured", "level"),
    [(9, GENERAL), (10, SERIOUS), (49, SERIOUS), (50, MAJOR), (99, MAJOR), (100, EM)],
)
def test_accident_level_by_serious_injuries(injured, level):
    assert rules.accident_level(P, 0, injured) == level


@pytest.mark.parametrize(
    ("loss", "level"),
    [
        (10 * MILLION - Decimal("0.01"), GENERAL),
        (10 * MILLION, SERIOUS),
        (50 * MILLION - Decimal("0.01"), SERIOUS),
        (50 * MILLION, MAJOR),
        (100 * MILLION - Decimal("0.01"), MAJOR),
        (100 * MILLION, EM),
    ],
)
def test_accident_level_by_direct_loss(loss, level):
    assert rules.accident_level(P, 0, 0, loss) == level


@pytest.mark.parametrize(
    ("area", "level"),
    [
        ("0.99", GENERAL),
        ("1", SERIOUS),
        ("99.99", SERIOUS),
        ("100", MAJOR),
        ("999.99", MAJOR),
        ("1000", EM),
    ],
)
def test_forest_fire_level_by_burned_area(area, level):
    assert rules.accident_level(FF, 0, 0, Decimal(0), Decimal(area)) == level


@pytest.mark.parametrize(
    ("deaths", "injured", "level"),
    [
        (2, 0, GENERAL),
        (3, 0, SERIOUS),
        (10, 0, MAJOR),
        (30, 0, EM),
        (0, 9, GENERAL),
        (0, 10, SERIOUS),
        (0, 50, MAJOR),
        (0, 100, EM),
    ],
)
def test_forest_fire_level_by_casualties(deaths, injured, level):
    assert rules.accident_level(FF, deaths, injured) == level


def test_accident_level_takes_the_highest_criterion():
    assert rules.accident_level(P, 3, 50, 100 * MILLION) == EM


def test_forest_fire_level_ignores_direct_loss():
    assert rules.accident_level(FF, 0, 0, 200 * MILLION, Decimal("0.5")) == GENERAL


def test_accident_level_refuses_negative_values():
    with pytest.raises(ValueError, match="deaths"):
        rules.accident_level(P, -1, 0)


# Accident periods (art. 8) -----------------------------------------------------


def test_accident_period_runs_from_1_december_to_30_november():
    assert rules.accident_period(2026) == (date(2025, 12, 1), date(2026, 11, 30))


def test_accident_on_30_november_counts_in_its_year():
    assert rules.assessment_year(date(2026, 11, 30), SERIOUS) == 2026


def test_accident_on_1_december_counts_in_the_next_year():
    assert rules.assessment_year(date(2026, 12, 1), SERIOUS) == 2027


@pytest.mark.parametrize(
    ("level", "bad_effect", "year"),
    [
        (GENERAL, False, 2027),
        (GENERAL, True, 2027),
        (SERIOUS, False, 2027),
        (SERIOUS, True, 2026),
        (MAJOR, False, 2026),
        (EM, False, 2026),
    ],
)
def test_december_accident_by_level(level, bad_effect, year):
    assert rules.assessment_year(date(2026, 12, 20), level, bad_effect) == year


def test_concealed_accident_from_two_years_back_counts_when_confirmed():
    year = rules.assessment_year(
        date(2024, 5, 1), SERIOUS, misreported=True, confirmed_on=date(2026, 3, 1)
    )

    assert year == 2026


def test_concealed_accident_three_years_back_still_counts():
    year = rules.assessment_year(
        date(2023, 5, 1), SERIOUS, misreported=True, confirmed_on=date(2026, 3, 1)
    )

    assert year == 2026


def test_concealed_accident_four_years_back_counts_nowhere():
    year = rules.assessment_year(
        date(2022, 5, 1), SERIOUS, misreported=True, confirmed_on=date(2026, 3, 1)
    )

    assert year is None


def test_concealed_general_accident_keeps_its_own_year():
    year = rules.assessment_year(
        date(2024, 5, 1), GENERAL, misreported=True, confirmed_on=date(2026, 3, 1)
    )

    assert year == 2024


def test_concealed_accident_confirmed_in_december_counts_next_year():
    year = rules.assessment_year(
        date(2025, 5, 1), SERIOUS, misreported=True, confirmed_on=date(2026, 12, 1)
    )

    assert year == 2027


# Damage rate --------------------------------------------------------------------


def test_damage_rate_at_0_9_per_mille_is_not_exceeded():
    assert not rules.damage_rate_exceeded(Decimal(9), Decimal(10_000))


def test_damage_rate_just_above_0_9_per_mille_is_exceeded():
    assert rules.damage_rate_exceeded(Decimal("9.01"), Decimal(10_000))


def test_damage_rate_without_forest_area_is_never_exceeded():
    assert not rules.damage_rate_exceeded(Decimal(9), None)


# Scores --------------------------------------------------------------------------


def test_item_deduction_stops_at_the_items_points():
    assert rules.score({1: Decimal(5), 2: Decimal(10)}, {1: Decimal(8)}) == 95


def test_score_adds_approved_bonus_up_to_the_cap():
    points = rules.score({1: Decimal(5)}, {1: Decimal(2)}, Decimal(4), Decimal(3))

    assert points == 101


@pytest.mark.parametrize(
    ("points", "grade"),
    [
        ("90", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80", Grade.GOOD),
        ("79.99", Grade.PASS),
        ("60", Grade.PASS),
        ("59.99", Grade.FAIL),
    ],
)
def test_score_band_boundaries(points, grade):
    assert rules.score_band(Decimal(points)) == grade


def test_competition_ranks_share_equal_scores():
    ranks = rules.competition_ranks({"a": 95, "b": 90, "c": 90, "d": 80})

    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}


# Grades --------------------------------------------------------------------------


def acc(kind=P, level=SERIOUS, **extra):
    return CountedAccident(kind=kind, level=level, **extra)


def grade(kind, points, accidents=(), rank=1, settings=RuleSettings(), **facts):
    unit = UnitFacts(
        key=1, kind=kind, score=Decimal(points), accidents=list(accidents), **facts
    )
    return rules.grade_unit(unit, rank, settings)


def codes(result):
    return {r.code for r in result.reasons}


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ("90", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80", Grade.GOOD),
        ("79.99", Grade.PASS),
        ("60", Grade.PASS),
        ("59.99", Grade.FAIL),
    ],
)
def test_county_grade_by_score(points, expected):
    assert grade(UnitKind.COUNTY, points).grade == expected


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ("90", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80", Grade.GOOD),
        ("79.99", Grade.PASS),
        ("60", Grade.PASS),
        ("59.99", Grade.FAIL),
    ],
)
def test_city_department_grade_by_score(points, expected):
    assert grade(UnitKind.CITY_DEPARTMENT, points).grade == expected


def test_county_with_91_points_ranked_7th_is_good():
    result = grade(UnitKind.COUNTY, 91, rank=7)

    assert result.grade == Grade.GOOD
    assert "beyond_quota" in codes(result)


def test_county_with_91_points_ranked_6th_is_excellent():
    assert grade(UnitKind.COUNTY, 91, rank=6).grade == Grade.EXCELLENT


def test_grade_all_ranks_counties_among_counties():
    units = [
        UnitFacts(key=i, kind=UnitKind.COUNTY, score=Decimal(99 - i)) for i in range(7)
    ] + [UnitFacts(key="d", kind=UnitKind.CITY_DEPARTMENT, score=Decimal(100))]

    results = rules.grade_all(units, RuleSettings())

    assert results[5].grade == Grade.EXCELLENT
    assert results[6].rank == 7
    assert results[6].grade == Grade.GOOD
    assert results["d"].rank == 1


@pytest.mark.parametrize(
    "fact", ["key_task_incomplete", "outside_accident_fault", "publicly_criticised"]
)
def test_county_not_eligible_for_excellent_is_good(fact):
    assert grade(UnitKind.COUNTY, 95, **{fact: True}).grade == Grade.GOOD


def test_county_with_one_serious_production_accident_is_capped_at_pass():
    result = grade(UnitKind.COUNTY, 95, [acc()])

    assert result.grade == Grade.PASS
    assert not result.yellow_card


def test_county_with_one_serious_fatal_forest_fire_is_capped_at_pass():
    result = grade(UnitKind.COUNTY, 95, [acc(FF, deaths=3)])

    assert result.grade == Grade.PASS


def test_county_forest_fire_serious_by_area_without_deaths_is_not_capped():
    result = grade(UnitKind.COUNTY, 95, [acc(FF, deaths=0)])

    assert result.grade == Grade.EXCELLENT


def test_county_with_unrectified_listed_hazard_is_capped_at_pass():
    assert (
        grade(UnitKind.COUNTY, 95, listed_hazard_unrectified=True).grade == Grade.PASS
    )


def test_city_department_sector_rise_blocks_excellent():
    result = grade(
        UnitKind.CITY_DEPARTMENT, 95, [acc()], prior_serious_average=Decimal("0.667")
    )

    assert result.grade == Grade.GOOD
    assert "no_excellent_sector_rise" in codes(result)


def test_city_department_equal_to_the_average_stays_excellent():
    result = grade(
        UnitKind.CITY_DEPARTMENT, 95, [acc()], prior_serious_average=Decimal(1)
    )

    assert result.grade == Grade.EXCELLENT


# Yellow cards (art. 11(1)) -------------------------------------------------------


def test_county_two_serious_production_accidents_is_a_yellow_card():
    result = grade(UnitKind.COUNTY, 95, [acc(), acc()])

    assert result.yellow_card
    assert result.grade == Grade.PASS
    assert not result.veto


def test_county_two_serious_fatal_forest_fires_is_a_yellow_card():
    assert grade(
        UnitKind.COUNTY, 95, [acc(FF, deaths=3), acc(FF, deaths=9)]
    ).yellow_card


def test_county_one_accident_and_one_fatal_forest_fire_is_no_yellow_card():
    assert not grade(UnitKind.COUNTY, 95, [acc(), acc(FF, deaths=3)]).yellow_card


@pytest.mark.parametrize("kind", [UnitKind.CITY_DEPARTMENT, UnitKind.RESIDENT_UNIT])
def test_department_two_serious_sector_accidents_is_a_yellow_card(kind):
    assert grade(kind, 95, [acc(), acc(AccidentKind.FIRE)]).yellow_card


@pytest.mark.parametrize("kind", [UnitKind.CITY_DEPARTMENT, UnitKind.RESIDENT_UNIT])
def test_department_one_serious_sector_accident_is_no_yellow_card(kind):
    assert not grade(kind, 95, [acc()]).yellow_card


def test_township_egregious_general_liability_accident_is_a_yellow_card():
    result = grade(UnitKind.TOWNSHIP, 95, [acc(level=GENERAL, egregious=True)])

    assert result.yellow_card
    assert result.grade == Grade.PASS


def test_township_egregious_accident_without_liability_is_no_yellow_card():
    accident = acc(level=GENERAL, egregious=True, liability=False)

    assert not grade(UnitKind.TOWNSHIP, 95, [accident]).yellow_card


@pytest.mark.parametrize("kind", [AccidentKind.FIRE, AccidentKind.FOREST_FIRE])
def test_township_general_fatal_fire_is_a_yellow_card(kind):
    assert grade(UnitKind.TOWNSHIP, 95, [acc(kind, GENERAL, deaths=1)]).yellow_card


def test_township_general_fire_without_deaths_is_no_yellow_card():
    assert not grade(
        UnitKind.TOWNSHIP, 95, [acc(AccidentKind.FIRE, GENERAL)]
    ).yellow_card


def test_enterprise_one_egregious_general_accident_is_a_yellow_card():
    result = grade(UnitKind.ENTERPRISE, 95, [acc(level=GENERAL, egregious=True)])

    assert result.yellow_card
    assert not result.veto


def test_yellow_card_strict_reading_means_fail_and_veto():
    settings = RuleSettings(yellow_card_rule=YellowCardRule.STRICT_FAIL)

    result = grade(UnitKind.COUNTY, 95, [acc(), acc()], settings=settings)

    assert result.grade == Grade.FAIL
    assert result.veto
    assert "veto_fail" in codes(result)


# Vetoes (art. 11(2)) --------------------------------------------------------------


@pytest.mark.parametrize("kind", list(UnitKind))
def test_especially_major_accident_is_a_veto_for_every_unit(kind):
    result = grade(kind, 100, [acc(level=EM)])

    assert result.veto
    assert result.grade == Grade.FAIL


@pytest.mark.parametrize("kind", list(UnitKind))
def test_especially_major_forest_fire_is_a_veto_for_every_unit(kind):
    assert grade(kind, 100, [acc(FF, EM)]).veto


def test_damage_rate_above_0_9_per_mille_is_a_veto():
    fire = acc(FF, GENERAL, burned_area_ha=Decimal("0.91"))

    result = grade(UnitKind.COUNTY, 100, [fire], forest_area_ha=Decimal(1000))

    assert result.veto
    assert "veto_damage_rate" in codes(result)


def test_damage_rate_at_0_9_per_mille_is_no_veto():
    fire = acc(FF, GENERAL, burned_area_ha=Decimal("0.9"))

    result = grade(UnitKind.COUNTY, 100, [fire], forest_area_ha=Decimal(1000))

    assert not result.veto


@pytest.mark.parametrize("kind", [P, FF])
def test_county_one_major_accident_or_forest_fire_is_a_veto(kind):
    assert grade(UnitKind.COUNTY, 100, [acc(kind, MAJOR)]).veto


def test_county_three_serious_production_accidents_is_a_veto():
    result = grade(UnitKind.COUNTY, 100, [acc(), acc(), acc()])

    assert result.veto
    assert "veto_serious_accidents" in codes(result)


def test_county_three_serious_fatal_forest_fires_is_a_veto():
    fires = [acc(FF, deaths=4) for _ in range(3)]

    assert grade(UnitKind.COUNTY, 100, fires).veto


def test_county_concealment_by_government_is_a_veto():
    accident = acc(concealed=True, concealment_by_government=True)

    assert "veto_concealment" in codes(grade(UnitKind.COUNTY, 100, [accident]))


def test_county_concealment_by_the_enterprise_alone_is_no_county_veto():
    accident = acc(falsely_reported=True)

    assert not grade(UnitKind.COUNTY, 100, [accident]).veto


@pytest.mark.parametrize("kind", [UnitKind.CITY_DEPARTMENT, UnitKind.RESIDENT_UNIT])
def test_department_major_sector_accident_is_a_veto(kind):
    assert grade(kind, 100, [acc(level=MAJOR)]).veto


@pytest.mark.parametrize("kind", [P, AccidentKind.FIRE, FF])
def test_township_serious_accident_is_a_veto(kind):
    assert grade(UnitKind.TOWNSHIP, 100, [acc(kind, SERIOUS)]).veto


def test_township_especially_egregious_general_accident_is_a_veto():
    accident = acc(level=GENERAL, especially_egregious=True)

    assert grade(UnitKind.TOWNSHIP, 100, [accident]).veto


def test_enterprise_serious_accident_is_a_veto():
    assert grade(UnitKind.ENTERPRISE, 100, [acc()]).veto


def test_enterprise_two_egregious_general_accidents_is_a_veto():
    accidents = [acc(level=GENERAL, egregious=True) for _ in range(2)]

    result = grade(UnitKind.ENTERPRISE, 100, accidents)

    assert result.veto
    assert not result.yellow_card


def test_enterprise_concealed_accident_is_a_veto():
    assert grade(UnitKind.ENTERPRISE, 100, [acc(level=GENERAL, concealed=True)]).veto


def test_enterprise_especially_egregious_general_accident_is_a_veto():
    accident = acc(level=GENERAL, especially_egregious=True)

    assert grade(UnitKind.ENTERPRISE, 100, [accident]).veto


@pytest.mark.parametrize("kind", list(UnitKind))
def test_fail_grade_is_a_veto(kind):
    result = grade(kind, "59.99")

    assert result.veto
    assert "veto_fail" in codes(result)


def test_township_quota_per_county():
    settings = RuleSettings(township_excellent_quota=1)
    units = [
        UnitFacts(key="a", kind=UnitKind.TOWNSHIP, score=Decimal(95), group=1),
        UnitFacts(key="b", kind=UnitKind.TOWNSHIP, score=Decimal(92), group=1),
        UnitFacts(key="c", kind=UnitKind.TOWNSHIP, score=Decimal(91), group=2),
    ]

    results = rules.grade_all(units, settings)

    assert [results[k].grade for k in "abc"] == [
        Grade.EXCELLENT,
        Grade.GOOD,
        Grade.EXCELLENT,
    ]


# Pre-warnings, sanctions, dates ----------------------------------------------------


def test_prewarning_for_a_second_serious_county_accident():
    kind, _ = rules.prewarning_kind(UnitKind.COUNTY, [acc(), acc()])

    assert kind == PreWarningKind.PRE_WARNING


def test_pre_veto_for_a_township_serious_accident():
    kind, _ = rules.prewarning_kind(UnitKind.TOWNSHIP, [acc()])

    assert kind == PreWarningKind.PRE_VETO


def test_no_prewarning_without_a_serious_accident():
    accidents = [acc(level=GENERAL, egregious=True)]

    assert rules.prewarning_kind(UnitKind.TOWNSHIP, accidents) == (None, [])


@pytest.mark.parametrize(
    ("notified", "due"),
    [
        (date(2026, 3, 15), date(2026, 4, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 12, 10), date(2027, 1, 10)),
    ],
)
def test_rectification_due_one_month_later(notified, due):
    assert rules.rectification_due(notified) == due


def test_veto_sanctions_run_from_the_pre_veto_date():
    specs = rules.sanctions(2026, True, False, date(2026, 4, 10), date(2027, 1, 20))

    promotion = next(s for s in specs if s.kind == SanctionKind.NO_PROMOTION)
    assert (promotion.starts_on, promotion.ends_on) == (
        date(2026, 4, 10),
        date(2027, 4, 9),
    )
    assert {s.kind for s in specs} == {
        SanctionKind.NO_AWARDS,
        SanctionKind.NO_PROMOTION,
        SanctionKind.BONUS_DEDUCTED,
    }


def test_veto_sanctions_without_pre_veto_run_from_the_decision():
    specs = rules.sanctions(2026, True, False, None, date(2027, 1, 20))

    promotion = next(s for s in specs if s.kind == SanctionKind.NO_PROMOTION)
    assert promotion.starts_on == date(2027, 1, 20)


def test_yellow_card_sanction_is_no_safety_awards():
    specs = rules.sanctions(2026, False, True, None, date(2027, 1, 20))

    assert [s.kind for s in specs] == [SanctionKind.NO_SAFETY_AWARDS]


def test_self_assessment_due_on_15_november():
    assert rules.self_assessment_due(2026) == date(2026, 11, 15)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 10, 31), False),
        (date(2026, 11, 1), True),
        (date(2026, 11, 30), True),
        (date(2026, 12, 1), False),
    ],
)
def test_reminder_window_from_1_november(today, expected):
    assert rules.reminder_due(today, 2026, False, None) is expected


def test_reminder_not_sent_twice_a_day():
    day = date(2026, 11, 3)

    assert not rules.reminder_due(day, 2026, False, day)


def test_reminder_not_sent_once_filed():
    assert not rules.reminder_due(date(2026, 11, 3), 2026, True, None)


@pytest.mark.parametrize(
    ("kind", "deaths", "flags", "matters"),
    [
        (P, 2, {}, False),
        (AccidentKind.FIRE, 0, {}, False),
        (AccidentKind.FIRE, 1, {}, True),
        (FF, 0, {}, True),
        (P, 0, {"egregious": True}, True),
        (P, 0, {"especially_egregious": True}, True),
        (P, 0, {"concealed": True}, True),
        (P, 0, {"falsely_reported": True}, True),
    ],
)
def test_general_accident_matters_only_for_some_conditions(
    kind, deaths, flags, matters
):
    values = {
        "egregious": False,
        "especially_egregious": False,
        "concealed": False,
        "falsely_reported": False,
        **flags,
    }

    assert rules.general_accident_matters(kind, deaths, **values) is matters
