"""Portal pages, reports, the supervision job, the dashboard and the demo."""

from datetime import date

from core.reports import ReportParams
from modules.approval_reform import jobs, reports, services

PAGES = "/admin/approval_reform_project_pages"


def test_project_list_renders_and_is_scoped(client, login, staff, create_project):
    create_project(name="芦淞区可见项目")
    login(staff["lusong"])

    page = client.get("/admin/approval_reform_projects/")

    assert page.status_code == 200
    assert "芦淞区可见项目" in page.get_data(as_text=True)


def test_project_list_hides_other_county(client, login, staff, create_project):
    create_project(name="芦淞区可见项目")
    login(staff["hetang"])

    page = client.get("/admin/approval_reform_projects/")

    assert page.status_code == 200
    assert "芦淞区可见项目" not in page.get_data(as_text=True)


def test_project_page_shows_unconfirmed_warning(
    client, login, staff, create_project, create_item
):
    create_item("E1", time_limit_working_days=10)
    project = create_project(registered_on=date(2026, 12, 24))
    login(staff["lusong"])

    page = client.get(f"{PAGES}/project/{project.id}")

    assert page.status_code == 200
    assert "badge-warning" in page.get_data(as_text=True)


def test_project_page_of_other_county_is_refused(client, login, staff, create_project):
    project = create_project()
    login(staff["hetang"])

    page = client.get(f"{PAGES}/project/{project.id}")

    assert page.status_code in (302, 404)


def test_register_page_creates_project(client, login, staff, applicant):
    login(staff["lusong"])

    response = client.post(
        f"{PAGES}/",
        data={
            "name": "门户登记项目",
            "organisation_id": str(applicant.id),
            "category": "social_sold_land",
            "investment_type": "social",
            "building_area_m2": "3000",
            "height_m": "12",
            "floors": "3",
            "registered_on": "2026-03-02",
            "simple_function": "on",
        },
    )

    assert response.status_code == 302
    assert (
        client.get("/admin/approval_reform_projects/")
        .get_data(as_text=True)
        .count("门户登记项目")
    )


def test_decide_from_portal_and_print(client, login, staff, create_project):
    project = create_project()
    stage = project.stages[0]
    login(staff["zrzyj"])

    client.post(
        f"{PAGES}/stage/{stage.id}/decide",
        data={"approve": "1", "text": "准予核发", "on": "2026-03-04"},
    )
    printed = client.get(f"{PAGES}/stage/{stage.id}/decision")

    assert printed.status_code == 200
    assert f"{project.code}-1" in printed.get_data(as_text=True)


def test_catalogue_page_renders(client, login, staff, create_item):
    create_item("E1", name="建设工程规划许可证核发")
    login(staff["spj"])

    page = client.get("/admin/approval_reform_catalogue/")

    assert page.status_code == 200
    assert "建设工程规划许可证核发" in page.get_data(as_text=True)


def test_due_stages_report_lists_due_and_overdue(
    db, depts, create_project, create_item
):
    create_item("E1", time_limit_working_days=5)
    create_project(registered_on=date(2026, 3, 2))

    def build(day):
        return reports.build_due_stages(ReportParams(depts["zrzyj"], day, day))

    assert build(date(2026, 3, 3)).rows == []
    assert build(date(2026, 3, 6)).rows[0]["status"] == "due_soon"
    assert build(date(2026, 3, 11)).rows[0]["status"] == "overdue"
    assert (
        reports.build_due_stages(
            ReportParams(depts["fgw"], date(2026, 3, 11), date(2026, 3, 11))
        ).rows
        == []
    )


def test_monthly_average_report(db, depts, staff, create_project):
    project = create_project(registered_on=date(2026, 3, 2))
    first, second, third = project.stages
    services.decide_stage(staff["zrzyj"], first, True, "", date(2026, 3, 5))
    services.apply_for_stage(staff["lusong"], second, date(2026, 3, 9))
    services.decide_stage(staff["zjj"], second, True, "", date(2026, 3, 10))
    services.apply_for_stage(staff["lusong"], third, date(2026, 3, 16))
    services.decide_stage(staff["zjj"], third, True, "", date(2026, 3, 18))
    db.session.commit()

    table = reports.build_monthly_average(
        ReportParams(depts["lusong"], date(2026, 3, 1), date(2026, 3, 31))
    )
    row = next(r for r in table.rows if r["category"] == "social_sold_land")

    assert row["completed"] == 1
    assert str(row["average_working_days"]) == "6.0"
    assert row["time_limit"] == 50
    other = reports.build_monthly_average(
        ReportParams(depts["hetang"], date(2026, 3, 1), date(2026, 3, 31))
    )
    assert all(r["completed"] == 0 for r in other.rows)


def test_escalation_job_runs(db, staff, create_project, create_item, monkeypatch):
    create_item("E1", time_limit_working_days=2)
    project = create_project(registered_on=date(2026, 3, 2))
    services.make_key_project(staff["lusong"], project, "李代办")
    db.session.commit()
    monkeypatch.setattr(jobs, "today_local", lambda: date(2026, 3, 9))

    assert jobs.escalate_key_projects() == 1
    assert jobs.escalate_key_projects() == 0


def test_due_items_for_lead_and_reviewer(db, depts, staff, create_project, create_item):
    create_item("E-FIRE", department_id=depts["xfzd"].id, time_limit_working_days=5)
    create_project(registered_on=date(2026, 3, 2))

    lead = services.due_items(staff["zrzyj"], date(2026, 3, 3))
    reviewer = services.due_items(staff["xfzd"], date(2026, 3, 3))

    assert len(lead) == 1 and lead[0].deadline == date(2026, 3, 9)
    assert len(reviewer) == 1 and "并联审批" in reviewer[0].detail
    assert services.due_items(staff["hetang"], date(2026, 3, 3)) == []


def test_dashboard_renders_items(client, login, staff, create_project):
    create_project()
    login(staff["zrzyj"])

    page = client.get("/admin/")

    assert page.status_code == 200
    assert "due-items" in page.get_data(as_text=True)
