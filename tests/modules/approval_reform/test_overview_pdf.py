"""The overview page with its charts, the decision PDF and the list labels."""

import html
import io
import json
import re
from datetime import date

from pypdf import PdfReader

from modules.approval_reform import services
from modules.approval_reform.models import ProjectStatus, StageKind

OVERVIEW = "/admin/approval_reform-overview/"
PAGES = "/admin/approval_reform_project_pages"


def _charts(page_text: str) -> list[dict]:
    return [
        json.loads(html.unescape(raw))
        for raw in re.findall(r'data-chart="([^"]*)"', page_text)
    ]


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _decide_first(db, staff, project, on=date(2026, 3, 5)):
    stage = project.stages[0]
    services.decide_stage(staff["zrzyj"], stage, True, "准予核发规划许可证", on)
    db.session.commit()
    return stage


def test_stage_figures_average_decided_stages(db, staff, create_project):
    first = create_project(registered_on=date(2026, 3, 2))
    second = create_project(registered_on=date(2026, 3, 2))
    _decide_first(db, staff, first, date(2026, 3, 4))
    _decide_first(db, staff, second, date(2026, 3, 6))

    figures = {f.kind: f for f in services.stage_figures(staff["lusong"])}
    stage = figures[first.stages[0].kind]

    assert stage.decided == 2
    assert (
        stage.average_days_used
        == (first.stages[0].working_days_used + second.stages[0].working_days_used) / 2
    )
    assert stage.average_time_limit == first.stages[0].time_limit_working_days
    assert figures[StageKind.COMPLETION_ACCEPTANCE].average_days_used is None


def test_stage_figures_are_scoped(db, staff, create_project):
    _decide_first(db, staff, create_project())

    figures = services.stage_figures(staff["hetang"])

    assert all(f.decided == 0 and f.open == 0 for f in figures)


def test_project_status_counts_are_scoped(db, staff, create_project):
    create_project()
    create_project()

    assert (
        services.project_status_counts(staff["lusong"])[ProjectStatus.IN_PROGRESS] == 2
    )
    assert (
        services.project_status_counts(staff["hetang"])[ProjectStatus.IN_PROGRESS] == 0
    )


def test_overview_renders_charts_with_labels(db, client, login, staff, create_project):
    _decide_first(db, staff, create_project())
    login(staff["lusong"])

    page = client.get(OVERVIEW)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    stages, projects = _charts(text)
    assert stages["title"]["text"] == "已办结审批阶段与时限对比"
    assert "施工许可" in stages["xAxis"]["data"]
    assert "办理中" in [d["name"] for d in projects["series"][0]["data"]]
    assert sum(d["value"] for d in projects["series"][0]["data"]) == 1


def test_overview_is_scoped(db, client, login, staff, create_project):
    create_project()
    login(staff["hetang"])

    page = client.get(OVERVIEW)

    assert page.status_code == 200
    _, projects = _charts(page.get_data(as_text=True))
    assert sum(d["value"] for d in projects["series"][0]["data"]) == 0


def test_overview_needs_view_permission(client, login, depts, create_user):
    login(create_user(depts["lusong"], [], username="ar-nobody"))

    page = client.get(OVERVIEW)

    assert page.status_code == 302


def test_decision_pdf_prints_the_decision(db, client, login, staff, create_project):
    project = create_project(name="芦淞区打印项目")
    stage = _decide_first(db, staff, project)
    login(staff["lusong"])

    response = client.get(f"{PAGES}/stage/{stage.id}/decision.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert "工程建设项目审批决定书" in text
    assert "芦淞区打印项目" in text
    assert "准予核发规划许可证" in text
    assert "2026年3月5日" in text
    assert "市自然资源和规划局" in text


def test_decision_pdf_of_other_county_is_refused(
    db, client, login, staff, create_project
):
    stage = _decide_first(db, staff, create_project())
    login(staff["hetang"])

    response = client.get(f"{PAGES}/stage/{stage.id}/decision.pdf")

    assert response.status_code in (302, 404)
    assert response.mimetype != "application/pdf"


def test_decision_pdf_of_undecided_stage_redirects(
    client, login, staff, create_project
):
    project = create_project()
    login(staff["lusong"])

    response = client.get(f"{PAGES}/stage/{project.stages[0].id}/decision.pdf")

    assert response.status_code == 302


def test_project_page_links_the_pdf(db, client, login, staff, create_project):
    project = create_project()
    stage = _decide_first(db, staff, project)
    login(staff["lusong"])

    page = client.get(f"{PAGES}/project/{project.id}").get_data(as_text=True)

    assert f"/stage/{stage.id}/decision.pdf" in page


def test_project_list_shows_chinese_labels(client, login, staff, create_project):
    create_project()
    login(staff["lusong"])

    page = client.get("/admin/approval_reform_projects/").get_data(as_text=True)

    assert "办理中" in page
    assert ">in_progress<" not in page
    assert "social_sold_land" not in page


def test_catalogue_list_shows_chinese_stage(client, login, staff, create_item):
    create_item("E1")
    login(staff["spj"])

    page = client.get("/admin/approval_reform_catalogue/").get_data(as_text=True)

    assert "工程建设许可" in page
    assert ">engineering_permit<" not in page


def test_project_export_shows_chinese_labels(client, login, staff, create_project):
    from openpyxl import load_workbook

    create_project()
    login(staff["lusong"])

    response = client.get("/admin/approval_reform_projects/export/xlsx/")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert "办理中" in values
    assert "in_progress" not in values


def test_project_page_names_department_materials(
    db, client, login, staff, create_project
):
    project = create_project()
    _decide_first(db, staff, project)
    login(staff["lusong"])

    page = client.get(f"{PAGES}/project/{project.id}").get_data(as_text=True)

    assert "部门出具" in page
    assert "政府投资" not in page
