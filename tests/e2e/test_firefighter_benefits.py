"""Firefighter benefits in a real browser: the overview chart and a desk check."""

from tests.e2e.conftest import screenshot, sign_in

OVERVIEW = "/admin/firefighter_benefits-overview/"
CHECK = "/admin/firefighter_benefits/check/"


def test_overview_chart_is_drawn(page):
    sign_in(page)

    page.goto(f"{page.base_url}{OVERVIEW}")
    page.wait_for_selector("[data-drawn=true]")

    screenshot(page, "chart-firefighter_benefits")
    assert page.locator("h3").first.inner_text() == "消防救援人员优待概览"
    assert "荷塘消防救援站" in page.locator("[data-chart]").first.get_attribute(
        "data-chart"
    )


def test_desk_checks_a_demo_credential(page):
    sign_in(page)

    page.goto(f"{page.base_url}{CHECK}")
    page.select_option("#benefit", "transit")
    page.fill("#number", "XF20250001")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer")

    answer = page.locator("#check-answer").inner_text()
    screenshot(page, "check-firefighter_benefits")
    assert "符合优待条件" in answer
    assert "李**" in answer


def test_desk_is_told_of_an_unknown_credential(page):
    sign_in(page)

    page.goto(f"{page.base_url}{CHECK}")
    page.fill("#number", "XF99999999")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer")

    assert "alert-danger" in page.locator("#check-answer").get_attribute("class")
