"""Construction project approval in a real browser: overview and a stage decision."""

from tests.e2e.conftest import screenshot, sign_in

OVERVIEW = "/admin/approval_reform-overview/"


def test_overview_draws_the_charts(page):
    sign_in(page, "admin")

    page.goto(f"{page.base_url}{OVERVIEW}")
    page.wait_for_selector("[data-drawn=true]")

    assert page.locator("h3").first.inner_text() == "工程建设项目审批概览"
    assert page.locator("[data-drawn=true]").count() == 2
    assert "施工许可" in page.locator("#stage-figures").inner_text()
    screenshot(page, "chart-approval_reform")


def test_lead_department_decides_a_stage(page):
    sign_in(page, "ar_zrzyj")

    page.goto(f"{page.base_url}/admin/approval_reform_projects/")
    page.locator("tr", has_text="芦淞区服装辅料仓储用房").locator(
        "a[href*='/project/']"
    ).click()
    row = page.locator("#stages tr", has_text="市自然资源和规划局").filter(
        has=page.locator("button", has_text="作出决定")
    )
    row.locator("input[name=text]").fill("准予核发建设工程规划许可证")
    row.locator("select[name=approve]").select_option("1")
    row.locator("button", has_text="作出决定").click()
    page.wait_for_load_state("networkidle")

    assert "已保存。" in page.content()
    decided = page.locator("#stages tr", has_text="工程建设许可").first
    assert "已批准" in decided.inner_text()
    pdf = page.request.get(
        page.base_url + decided.locator("a.decision-pdf").get_attribute("href")
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    screenshot(page, "approval_reform-decided")
