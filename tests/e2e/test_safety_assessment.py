"""The safety assessment in a real browser: the overview and a result notice."""

import io

from pypdf import PdfReader

from tests.e2e.conftest import screenshot, sign_in


def test_overview_draws_the_charts(page):
    sign_in(page)

    page.goto(f"{page.base_url}/admin/safety_assessment-overview/")
    page.wait_for_selector("[data-drawn=true]")

    screenshot(page, "chart-safety_assessment")
    assert "安全生产和消防工作考核概览" in page.locator("h3").first.inner_text()
    assert page.locator("[data-drawn=true]").count() == 2
    assert "芦淞区" in page.locator(".portal-chart").first.get_attribute("data-chart")


def test_results_approved_in_the_browser_give_a_pdf_notice(page):
    sign_in(page)
    page.goto(f"{page.base_url}/admin/safety_assessment_results/?year=2026")

    page.fill("input[name=decision]", "株安委〔2027〕1号")
    page.fill("input[name=decided_on]", "2027-01-20")
    page.click("button:has-text('审定考核结果')")
    page.wait_for_load_state("networkidle")
    page.locator("table a:has-text('通知')").first.click()
    page.wait_for_load_state("networkidle")
    pdf_url = page.locator("a:has-text('下载 PDF')").get_attribute("href")
    response = page.request.get(f"{page.base_url}{pdf_url}")

    reader = PdfReader(io.BytesIO(response.body()))
    text = reader.pages[0].extract_text().replace("\n", "")
    assert response.headers["content-type"] == "application/pdf"
    assert "考核结果通知" in text
    assert "株安委〔2027〕1号" in text
