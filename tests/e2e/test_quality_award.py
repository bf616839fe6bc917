"""The Mayor's Quality Award in a real browser: overview and two procedure steps."""

from tests.e2e.conftest import screenshot, sign_in

OVERVIEW = "/admin/quality_award-overview/"


def test_overview_draws_the_charts(page):
    sign_in(page, "admin")

    page.goto(f"{page.base_url}{OVERVIEW}")
    page.wait_for_selector("[data-drawn=true]")

    assert page.locator("h3").first.inner_text() == "市长质量奖概览"
    assert page.locator("[data-drawn=true]").count() == 2
    assert "芦淞区" in page.locator("#county-figures").inner_text()
    screenshot(page, "chart-quality_award")


def _take_step(page, action_label, opinion):
    form = page.locator("form", has=page.locator("select[name=action]"))
    form.locator("select[name=action]").select_option(label=action_label)
    form.locator("textarea[name=opinion]").fill(opinion)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_office_takes_an_application_through_two_steps(page):
    sign_in(page, "qa_office")

    page.goto(f"{page.base_url}/admin/quality_award/applications/")
    page.locator("a", has_text="刘质量").first.click()
    page.wait_for_load_state("networkidle")
    _take_step(page, "签署初审意见并上报", "材料齐全，同意推荐。")

    assert "已保存。" in page.content()
    assert page.locator(".badge-info").inner_text() == "县级初审完成"

    _take_step(page, "受理并公示", "")

    assert page.locator(".badge-info").inner_text() == "已受理（材料评审）"
    steps = page.locator("table", has_text="签署初审意见并上报").inner_text()
    assert "受理并公示" in steps
    assert "材料齐全，同意推荐。" in steps
    screenshot(page, "quality_award-two-steps")
