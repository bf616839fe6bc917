"""The overview charts, the printable annual plan and the labelled list views."""

import html
import io
import json
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from modules.it_projects import rules
from modules.it_projects.rules import Kind, Status
from tests.modules.it_projects.conftest import STEPS_TO_APPROVAL

OVERVIEW = "/admin/it-projects-overview/"


def charts(page: str) -> list[dict]:
    """The ECharts options in the page's data-chart attributes."""
    return [
        json.loads(html.unescape(raw))
        for raw in re.findall(r'data-chart="([^"]*)"', page)
    ]


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, without the line breaks of table cells."""
    pages = PdfReader(io.BytesIO(data)).pages
    return "".join(page.extract_text() for page in pages).replace("\n", "")


def test_in_annual_plan_from_the_draft_plan_on():
    assert rules.in_annual_plan(Status.IN_DRAFT_PLAN, Kind.ANNUAL)


def test_in_annual_plan_not_before_the_draft_plan():
    assert not rules.in_annual_plan(Status.INITIALLY_REVIEWED, Kind.ANNUAL)


def test_in_annual_plan_not_when_rejected():
    assert not rules.in_annual_plan(Status.REJECTED, Kind.ANNUAL)


def test_in_annual_plan_never_for_urgent_projects():
    assert not rules.in_annual_plan(Status.APPROVED, Kind.URGENT)


def test_overview_renders_projects_by_stage(client, login, people, create_project):
    create_project()
    login(people["viewer"])

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    by_stage = charts(response.get_data(as_text=True))[0]
    assert by_stage["xAxis"]["data"] == ["已申报"]
    assert by_stage["series"][0]["data"] == [1]


def test_overview_shows_investment_by_plan_year(
    client, login, people, approved_project
):
    login(people["viewer"])

    investment = charts(client.get(OVERVIEW).get_data(as_text=True))[1]

    assert investment["xAxis"]["data"] == ["2026年度"]
    assert [s["name"] for s in investment["series"]] == ["申报投资", "批准投资"]
    assert investment["series"][0]["data"] == [12.0]


def test_overview_counts_only_the_users_county(
    client, login, people, create_project, advance
):
    create_project()
    other = create_project(user=people["other_applicant"], title="荷塘区智慧社区")
    advance(other, STEPS_TO_APPROVAL[:1])
    login(people["viewer"])

    page = client.get(OVERVIEW).get_data(as_text=True)

    by_stage, investment = charts(page)
    assert by_stage["xAxis"]["data"] == ["已申报"]
    assert investment["series"][0]["data"] == [12.0]


def test_overview_sees_every_county_for_a_city_wide_user(
    client, login, people, create_project
):
    create_project()
    create_project(user=people["other_applicant"], title="荷塘区智慧社区")
    login(people["reviewer"])

    by_stage = charts(client.get(OVERVIEW).get_data(as_text=True))[0]

    assert by_stage["series"][0]["data"] == [2]


def test_overview_is_refused_without_permission(client, login, create_user, city):
    login(create_user(city["lusong"], []))

    assert client.get(OVERVIEW).status_code == 302


def test_overview_is_first_in_the_menu(client, login, people):
    login(people["viewer"])

    page = client.get(OVERVIEW).get_data(as_text=True)

    assert page.index("/admin/it-projects-overview/") < page.index(
        "/admin/it-projects/projects/"
    )


def test_annual_plan_pdf_lists_the_approved_project(
    client, login, people, approved_project
):
    login(people["viewer"])

    response = client.get("/admin/it-projects/desk/plans/2026.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "株洲市2026年度信息化建设计划" in text
    assert "芦淞区政务服务数据共享平台" in text
    assert "已立项" in text
    assert "120,000.00" in text
    assert "株洲市行政审批服务局" in text


def test_annual_plan_pdf_leaves_out_projects_not_yet_in_the_plan(
    client, login, people, approved_project, create_project
):
    create_project(title="芦淞区尚未初审项目")
    login(people["viewer"])

    text = pdf_text(client.get("/admin/it-projects/desk/plans/2026.pdf").data)

    assert "芦淞区尚未初审项目" not in text
    assert "共1个项目" in text


def test_annual_plan_pdf_holds_only_the_users_county(
    client, login, people, approved_project
):
    login(people["other_applicant"])

    text = pdf_text(client.get("/admin/it-projects/desk/plans/2026.pdf").data)

    assert "芦淞区政务服务数据共享平台" not in text
    assert "暂无纳入计划的项目" in text


def test_annual_plan_pdf_of_a_year_without_a_call_is_404(client, login, people):
    login(people["viewer"])

    assert client.get("/admin/it-projects/desk/plans/2031.pdf").status_code == 404


def test_project_page_links_to_the_annual_plan(client, login, people, approved_project):
    login(people["viewer"])

    page = client.get(f"/admin/it-projects/desk/projects/{approved_project.id}")

    assert "/admin/it-projects/desk/plans/2026.pdf" in page.get_data(as_text=True)


def test_call_list_links_to_the_annual_plan(client, login, people, create_call):
    create_call()
    login(people["viewer"])

    page = client.get("/admin/it-projects/calls/").get_data(as_text=True)

    assert "/admin/it-projects/desk/plans/2026.pdf" in page


def test_project_list_shows_chinese_status_kind_and_yuan(
    client, login, people, approved_project
):
    login(people["viewer"])

    page = client.get("/admin/it-projects/projects/").get_data(as_text=True)

    assert "已立项" in page
    assert "年度建设计划" in page
    assert "120,000.00" in page
    assert "approved</td>" not in page


def test_project_export_shows_chinese_labels(client, login, people, approved_project):
    login(people["viewer"])

    response = client.get("/admin/it-projects/projects/export/xlsx/")

    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    # The first row holds the sheet's title, the second the headers.
    record = dict(zip(rows[1], rows[2], strict=True))
    assert record["状态"] == "已立项"
    assert record["批准投资（元）"] == "120,000.00"
    assert record["项目"] == "芦淞区政务服务数据共享平台"
    assert record["类型"] == "年度建设计划"


def test_project_list_filters_by_status_label(
    client, login, people, approved_project, create_project
):
    create_project(title="芦淞区尚未初审项目")
    login(people["viewer"])

    page = client.get("/admin/it-projects/projects/").get_data(as_text=True)
    filters = json.loads(
        html.unescape(re.search(r'filter-groups-data"[^>]*>([^<]*)<', page).group(1))
    )
    status = filters["状态"][0]
    listed = client.get(
        f"/admin/it-projects/projects/?flt0_{status['index']}=approved"
    ).get_data(as_text=True)

    assert ["approved", "已立项"] in status["options"]
    assert "芦淞区政务服务数据共享平台" in listed
    assert "芦淞区尚未初审项目" not in listed


def test_project_list_ignores_an_unknown_status_filter(
    client, login, people, approved_project
):
    login(people["viewer"])

    response = client.get("/admin/it-projects/projects/?flt0_1=nonsense")

    assert response.status_code == 200
