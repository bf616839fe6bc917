"""Reports, jobs and dashboard items."""

from datetime import date

from core.reports import ReportParams
from modules.it_projects import jobs, reports, services
from modules.it_projects.models import CallReminder
from modules.it_projects.rules import Action
from tests.modules.it_projects.conftest import STEPS_TO_APPROVAL


def params(department):
    return ReportParams(department, date(2026, 1, 1), date(2026, 12, 31))


def test_annual_plan_report_counts_by_department(city, people, create_project, advance):
    advance(create_project(), STEPS_TO_APPROVAL)
    create_project(title="第二个项目")
    create_project(user=people["other_applicant"], title="荷塘区项目")

    table = reports.annual_plan_status(params(city["city"]))

    rows = {r["department"]: r for r in table.rows}
    assert rows["芦淞区"]["applied"] == 2
    assert rows["芦淞区"]["approved"] == 1
    assert rows["芦淞区"]["in_review"] == 1
    assert rows["芦淞区"]["investment"] == "120,000.00"
    assert rows["荷塘区"]["applied"] == 1


def test_annual_plan_report_for_a_county_holds_only_its_rows(
    city, people, create_project
):
    create_project()
    create_project(user=people["other_applicant"], title="荷塘区项目")

    table = reports.annual_plan_status(params(city["hetang"]))

    assert [r["department"] for r in table.rows] == ["荷塘区"]


def test_spending_report_sets_funds_against_the_budget(city, people, approved_project):
    services.record_funding(
        people["finance"],
        approved_project.id,
        {"amount_fen": 20_000_00, "paid_on": date(2026, 3, 1)},
    )
    services.record_funding(
        people["finance"],
        approved_project.id,
        {"amount_fen": 10_000_00, "paid_on": date(2025, 12, 1)},
    )

    table = reports.spending(params(city["city"]))

    row = table.rows[0]
    assert row["paid"] == "20,000.00"
    assert row["paid_total"] == "30,000.00"
    assert row["remaining"] == "90,000.00"


def test_spending_report_leaves_out_unapproved_projects(city, create_project):
    create_project()

    assert reports.spending(params(city["city"])).is_empty


def test_call_reminder_job_runs(db, create_call, monkeypatch):
    create_call()
    monkeypatch.setattr(jobs, "today_local", lambda: date(2025, 8, 1))

    assert jobs.remind_call() > 0
    assert db.session.query(CallReminder).count() > 0


def test_review_reminder_job_runs(db, approved_project, advance, monkeypatch):
    project = advance(
        approved_project,
        [
            (
                "applicant",
                Action.SUBMIT_CONSTRUCTION_PLAN,
                {
                    "amount_fen": 100_000_00,
                    "documents": [
                        {"kind": "construction_plan", "title": "方案"},
                        {"kind": "design_estimate", "title": "概算"},
                    ],
                },
            ),
            ("reviewer", Action.START_TECHNICAL_REVIEW, {}),
        ],
    )
    monkeypatch.setattr(jobs, "today_local", lambda: project.review_due_on)

    assert jobs.remind_reviews() == 2


def test_jobs_and_reports_are_declared(app):
    registry = app.extensions["registry"]

    assert {"it_projects.call_reminders", "it_projects.review_reminders"} <= {
        j.id for j in registry.jobs()
    }
    assert {"it_projects.annual_plan_status", "it_projects.spending"} <= {
        r.id for r in registry.reports()
    }


def test_due_items_show_technical_reviews_to_the_reviewer(
    app, people, approved_project, advance
):
    from modules.it_projects import module

    advance(
        approved_project,
        [
            (
                "applicant",
                Action.SUBMIT_CONSTRUCTION_PLAN,
                {
                    "amount_fen": 100_000_00,
                    "documents": [
                        {"kind": "construction_plan", "title": "方案"},
                        {"kind": "design_estimate", "title": "概算"},
                    ],
                },
            ),
            ("reviewer", Action.START_TECHNICAL_REVIEW, {}),
        ],
        on=date(2026, 2, 14),
    )

    with app.test_request_context():
        reviewer_items = module.due_items(people["reviewer"], date(2026, 2, 16))
        applicant_items = module.due_items(people["applicant"], date(2026, 2, 16))

    assert [i.deadline for i in reviewer_items] == [date(2026, 3, 6)]
    assert applicant_items == []


def test_due_items_show_the_open_call_until_the_unit_applies(
    app, people, create_call, create_project
):
    from modules.it_projects import module

    create_call()
    with app.test_request_context():
        before = module.due_items(people["applicant"], date(2025, 8, 10))
        create_project()
        after = module.due_items(people["applicant"], date(2025, 8, 10))

    assert [i.deadline for i in before] == [date(2025, 8, 31)]
    assert after == []


def test_dashboard_renders_with_it_project_items(
    client, login, people, create_call, monkeypatch
):
    create_call()
    login(people["applicant"])

    assert client.get("/admin/").status_code == 200
