"""Services: accidents, deductions, bonus points, grading, approval, reminders."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput, RuleViolation
from modules.safety_assessment import services
from modules.safety_assessment.models import (
    Accident,
    Deduction,
    Message,
    PreWarning,
    Sanction,
    UnitAssessment,
)
from modules.safety_assessment.rules import (
    AccidentLevel,
    PreWarningKind,
    SanctionKind,
    YellowCardRule,
)
from tests.modules.safety_assessment.conftest import TODAY


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_open_year_enrols_every_assessed_unit(db, create_year):
    year = create_year()

    kinds = db.session.scalars(
        select(UnitAssessment).where(UnitAssessment.year_id == year.id)
    ).all()
    assert {a.unit.name for a in kinds} == {
        "芦淞区",
        "荷塘区",
        "建设街道",
        "月塘街道",
        "市市场监督管理局",
    }


def test_township_unit_is_owned_by_itself_within_its_county(db, city, unit_of):
    unit = unit_of(city["jianshe"])

    assert unit.county_id == city["lusong"].id


def test_record_accident_derives_level_and_year(db, city, create_accident):
    accident = create_accident(city["lusong"], deaths=3, occurred_on=date(2025, 12, 2))

    assert accident.level == AccidentLevel.SERIOUS
    assert accident.assessment_year == 2026


def test_record_accident_in_the_future_writes_nothing(db, city, create_accident):
    with pytest.raises(InvalidInput) as error:
        create_accident(city["lusong"], occurred_on=date(2026, 6, 16))

    assert "occurred_on" in error.value.errors
    assert count(db, Accident) == 0


@pytest.mark.parametrize(
    "field", ["deaths", "serious_injuries", "direct_loss", "burned_area_ha"]
)
def test_record_accident_with_negative_figure_writes_nothing(
    db, city, create_accident, field
):
    with pytest.raises(InvalidInput) as error:
        create_accident(city["lusong"], kind="forest_fire", **{field: -1})

    assert field in error.value.errors
    assert count(db, Accident) == 0


def test_second_serious_accident_raises_a_pre_warning(
    db, city, create_year, unit_of, create_accident
):
    create_year()
    county = unit_of(city["lusong"])
    create_accident(city["lusong"], [county], deaths=3)
    assert count(db, PreWarning) == 0

    create_accident(city["lusong"], [county], deaths=4)

    notice = db.session.scalars(select(PreWarning)).one()
    assert notice.kind == PreWarningKind.PRE_WARNING
    assert notice.rectification_due == date(2026, 7, 15)
    assert notice.interview_on > TODAY
    assert notice.reported_to_discipline_on is None
    assert (
        db.session.scalars(select(Message).where(Message.topic == "prewarning"))
        .one()
        .department_id
        == city["lusong"].id
    )


def test_township_serious_accident_raises_a_reported_pre_veto(
    db, city, create_year, unit_of, create_accident
):
    create_year()
    township = unit_of(city["jianshe"])

    create_accident(city["jianshe"], [township], deaths=3)

    notice = db.session.scalars(select(PreWarning)).one()
    assert notice.kind == PreWarningKind.PRE_VETO
    assert notice.reported_to_discipline_on == TODAY
    assert notice.reported_to_organisation_on == TODAY
    assert (
        db.session.scalars(select(Message).where(Message.topic == "pre_veto_report"))
        .one()
        .department_id
        == city["city"].id
    )


def test_accident_without_supervisory_duty_raises_nothing(
    db, city, create_year, unit_of, create_accident, city_user
):
    create_year()
    township = unit_of(city["jianshe"])
    values = {
        "kind": "production",
        "occurred_on": date(2026, 5, 1),
        "place": "x",
        "deaths": 5,
        "serious_injuries": 0,
        "department_id": city["jianshe"].id,
        "units": [{"unit_id": township.id, "counts": False}],
    }

    services.record_accident(values, city_user, TODAY)

    assert count(db, PreWarning) == 0


def test_deduction_against_another_years_item_writes_nothing(
    db, city, create_year, unit_of, assessment
):
    old = create_year(2025)
    year = create_year(2026)
    record = assessment(unit_of(city["lusong"]), year)

    with pytest.raises(InvalidInput) as error:
        services.record_deduction(
            record, old.items[0].id, 2, 1, date(2026, 3, 1), "r", "e"
        )

    assert "item_id" in error.value.errors
    assert count(db, Deduction) == 0


def test_deduction_kept_in_full_while_the_item_stops_at_its_points(
    db, city, create_year, unit_of, assessment
):
    year = create_year()
    record = assessment(unit_of(city["lusong"]), year)
    item = year.items[1]  # 5 points

    services.record_deduction(record, item.id, 4, 1, date(2026, 3, 1), "r", "e")
    services.record_deduction(record, item.id, 3, 2, date(2026, 5, 1), "r", "e")

    assert db.session.scalar(select(func.sum(Deduction.points))) == 7
    grading = services.grade_year(year)
    assert grading.results[record.id].score == 95


def test_quarterly_score_counts_that_quarters_deductions(
    db, city, create_year, unit_of, assessment
):
    year = create_year()
    record = assessment(unit_of(city["lusong"]), year)
    services.record_deduction(
        record, year.items[0].id, 4, 1, date(2026, 3, 1), "r", "e"
    )
    services.record_deduction(
        record, year.items[0].id, 2, 2, date(2026, 5, 1), "r", "e"
    )

    assert services.grade_year(year, quarter=2).results[record.id].score == 98
    assert services.grade_year(year).results[record.id].score == 94


def test_bonus_counts_only_once_approved(db, city, create_year, unit_of, assessment):
    year = create_year()
    record = assessment(unit_of(city["lusong"]), year)
    bonus = services.propose_bonus(record, 2, "抢险救援")
    assert services.grade_year(year).results[record.id].score == 100

    services.approve_bonus(bonus, "安委会〔2026〕3号", date(2026, 12, 1))

    assert services.grade_year(year).results[record.id].score == 102


def test_bonus_approved_without_decision_writes_nothing(
    db, city, create_year, unit_of, assessment
):
    from modules.safety_assessment.models import BonusAward

    year = create_year()
    record = assessment(unit_of(city["lusong"]), year)

    with pytest.raises(InvalidInput) as error:
        services.propose_bonus(record, 2, "抢险救援", approved=True)

    assert "decision" in error.value.errors
    assert count(db, BonusAward) == 0


def test_grade_year_uses_register_accidents(
    db, city, create_year, unit_of, create_accident
):
    year = create_year()
    county = unit_of(city["lusong"])
    create_accident(city["lusong"], [county], deaths=3)

    grading = services.grade_year(year)

    result = next(
        r
        for r in grading.results.values()
        if r.key and r.kind == "county" and grading.units[r.key].unit_id == county.id
    )
    assert result.grade.value == "pass"


def test_approve_results_snapshots_and_records_sanctions(
    db, city, create_year, unit_of, create_accident
):
    year = create_year()
    township = unit_of(city["jianshe"])
    create_accident(city["jianshe"], [township], deaths=3)

    services.approve_results(year, "安委会〔2027〕1号", date(2027, 1, 20))

    record = db.session.scalars(
        select(UnitAssessment).where(UnitAssessment.unit_id == township.id)
    ).one()
    assert record.veto and record.grade.value == "fail"
    promotion = db.session.scalars(
        select(Sanction).where(Sanction.kind == SanctionKind.NO_PROMOTION)
    ).one()
    assert promotion.starts_on == TODAY
    assert promotion.ends_on == date(2027, 6, 14)


def test_approved_year_refuses_deductions(db, city, create_year, unit_of, assessment):
    year = create_year()
    record = assessment(unit_of(city["lusong"]), year)
    services.approve_results(year, "决定", date(2027, 1, 20))

    with pytest.raises(RuleViolation):
        services.record_deduction(
            record, year.items[0].id, 1, 4, date(2026, 11, 1), "r", "e"
        )


def test_publish_requires_approval(db, create_year):
    with pytest.raises(RuleViolation):
        services.publish_results(create_year(), date(2027, 2, 1))


def test_publish_mails_each_unit_its_result(db, create_year):
    year = create_year()
    services.approve_results(year, "决定", date(2027, 1, 20))

    sent = services.publish_results(year, date(2027, 2, 1))

    assert sent == 5
    assert count(db, Message) == 5


def test_result_notice_holds_what_a_printed_notice_needs(
    db, city, create_year, unit_of
):
    year = create_year()
    services.approve_results(year, "安委会〔2027〕1号", date(2027, 1, 20))
    record = db.session.scalars(
        select(UnitAssessment).where(
            UnitAssessment.unit_id == unit_of(city["lusong"]).id
        )
    ).one()

    notice = services.result_notice(record)

    assert notice.unit == "芦淞区"
    assert notice.score == 100
    assert notice.decision == "安委会〔2027〕1号"
    assert notice.reasons


def test_strict_yellow_card_rule_is_stored_per_year(
    db, city, create_year, unit_of, create_accident
):
    year = create_year(yellow_card_rule=YellowCardRule.STRICT_FAIL)
    county = unit_of(city["lusong"])
    create_accident(city["lusong"], [county], deaths=3)
    create_accident(city["lusong"], [county], deaths=3)

    grading = services.grade_year(year)

    graded = [r for r in grading.results.values() if r.yellow_card]
    assert graded[0].grade.value == "fail"


def test_reminders_go_to_units_that_have_not_filed(
    db, city, create_year, unit_of, assessment
):
    year = create_year()
    services.file_self_report(
        assessment(unit_of(city["lusong"]), year), date(2026, 10, 30), "自评"
    )

    assert services.send_reminders(date(2026, 10, 31)) == 0
    assert services.send_reminders(date(2026, 11, 1)) == 4
    assert services.send_reminders(date(2026, 11, 1)) == 0


def test_spot_check_before_the_report_is_refused(
    db, city, create_year, unit_of, assessment
):
    year = create_year()
    report = services.file_self_report(
        assessment(unit_of(city["lusong"]), year), date(2026, 11, 10), "自评"
    )

    with pytest.raises(InvalidInput):
        services.record_spot_check(report, date(2026, 11, 9), "张三", "一致", True)


def test_notice_to_a_department_with_addresses_is_queued_for_mail(
    db, city, create_department, create_year, unit_of, create_accident
):
    from core.models.departments import DepartmentKind
    from core.models.scheduling import OutboxMessage

    township = create_department(
        "白关镇", DepartmentKind.TOWNSHIP, city["lusong"], emails="bg@example.cn"
    )
    create_year()

    create_accident(township, [unit_of(township)], deaths=3)

    queued = db.session.scalars(select(OutboxMessage)).one()
    assert queued.recipients == "bg@example.cn"
    assert queued.origin == "safety_assessment.prewarning"
