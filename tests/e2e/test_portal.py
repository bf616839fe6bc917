"""Signing in and the dashboard, in a real browser."""

from tests.e2e.conftest import screenshot, sign_in


def test_login_page_is_chinese(page):
    page.goto(f"{page.base_url}/admin/login/")

    assert page.locator(".card-header h4").inner_text() == "登录"


def test_wrong_password_shows_a_chinese_error(page):
    sign_in(page, "admin", "wrong-password-here")

    assert "用户名或密码错误" in page.content()


def test_dashboard_after_sign_in(page):
    sign_in(page)

    assert "待办事项" in page.content()
    screenshot(page, "dashboard")
