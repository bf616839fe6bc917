"""The reminder job, the annual report and the dashboard items."""

from datetime import date

from core.models.departments import Department
from core.reports import ReportParams
from modules.safety_assessment import services
from modules.safety_assessment.dashboard import due_items
from modules.safety_assessment.jobs import remind_self_assessments
from modules.safety_assessment.reports import build_annual_results
from tests.modules.safety_assessment.conftest import EDIT_PERMISSIONS


def test_reminder_job_runs(db, create_year, monkeypatch):
    create_year()
    monkeypatch.setattr(
        "modules.safety_assessment.jobs.today_local", lambda: date(2026, 11, 2)
    )

    assert remind_self_assessments() == 5


def test_annual_report_lists_the_ranked_results(db, city, create_year):
    year = create_year()
    services.approve_results(year, "决定", date(2027, 1, 20))

    table = build_annual_results(
        ReportParams(city["city"], date(2026, 1, 1), date(2026, 12, 31))
    )

    assert len(table.rows) == 5
    assert table.rows[0]["kind"]


def test_annual_report_of_a_county_holds_its_own_rows(db, city, create_year):
    year = create_year()
    services.approve_results(year, "决定", date(2027, 1, 20))

    table = build_annual_results(
        ReportParams(city["lusong"], date(2026, 1, 1), date(2026, 12, 31))
    )

    assert {r["unit"] for r in table.rows} == {"芦淞区", "建设街道"}


def test_annual_report_is_empty_before_approval(db, city, create_year):
    create_year()

    table = build_annual_results(
        ReportParams(city["city"], date(2026, 1, 1), date(2026, 12, 31))
    )

    assert table.is_empty


def test_due_items_self_assessment_by_15_november(db, create_user, city, create_year):
    create_year()
    user = create_user(city["lusong"], EDIT_PERMISSIONS)

    items = due_items(user, date(2026, 10, 1))

    assert len(items) == 2
    assert {"芦淞区", "建设街道"} == {
        name for i in items for name in ("芦淞区", "建设街道") if name in i.title
    }
    assert all(i.deadline == date(2026, 11, 15) for i in items)


def test_due_items_rectification_one_month_after_pre_veto(
    db, create_user, city, create_year, unit_of, create_accident
):
    create_year()
    township = unit_of(city["jianshe"])
    create_accident(city["jianshe"], [township], deaths=3)
    user = create_user(db.session.get(Department, city["lusong"].id), EDIT_PERMISSIONS)

    items = [i for i in due_items(user, date(2026, 6, 20)) if "prewarnings" in i.url]

    assert [i.deadline for i in items] == [date(2026, 7, 15)]


def test_due_items_none_without_permission(db, create_user, city, create_year):
    create_year()

    assert due_items(create_user(city["lusong"]), date(2026, 10, 1)) == []
