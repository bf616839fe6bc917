"""IT projects in a real browser: the overview charts and the annual plan."""

import io

from pypdf import PdfReader

from tests.e2e.conftest import screenshot, sign_in


def test_it_projects_overview_draws_its_charts(page):
    sign_in(page)

    page.goto(f"{page.base_url}/admin/it-projects-overview/")
    page.wait_for_selector("[data-drawn=true]")

    assert page.locator("h3").first.inner_text() == "政务信息化项目概览"
    assert page.locator("[data-drawn=true]").count() == 2
    assert "已申报" in page.locator(".portal-chart").first.get_attribute("data-chart")
    screenshot(page, "chart-it_projects")


def test_it_projects_list_shows_chinese_statuses(page):
    sign_in(page)

    page.goto(f"{page.base_url}/admin/it-projects/projects/")

    table = page.locator("table.model-list").inner_text()
    assert "株洲市智慧教育云平台" in table
    assert "采购" in table or "实施" in table
    assert "implementation" not in table


def test_it_projects_annual_plan_prints_from_the_project_page(page):
    sign_in(page, "it_jyj")
    page.goto(f"{page.base_url}/admin/it-projects/projects/")
    page.click("text=株洲市智慧教育云平台")
    page.wait_for_load_state("networkidle")

    link = page.locator("a", has_text="2026年度建设计划（PDF）")
    response = page.request.get(f"{page.base_url}{link.get_attribute('href')}")

    assert response.headers["content-type"] == "application/pdf"
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages
    ).replace("\n", "")
    assert "株洲市2026年度信息化建设计划" in text
    assert "株洲市智慧教育云平台" in text
