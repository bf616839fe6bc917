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


def _organisations_workbook(count: int) -> bytes:
    import io

    from openpyxl import Workbook
    from stdnum.cn import uscc

    book = Workbook()
    book.active.append(["名称", "统一社会信用代码", "县市区", "地址"])
    for n in range(count):
        body = f"9143020{770_000 + n:010d}"[:17]
        book.active.append(
            [f"株洲导入测试企业{n}", body + uscc.calc_check_digit(body), "芦淞区", ""]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_large_import_is_previewed_then_applied(page):
    data = _organisations_workbook(3000)
    sign_in(page)

    page.goto(f"{page.base_url}/admin/imports/")
    page.click("#importers a[href$='/core-organisations/']")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "企业名录.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    page.click("#import-form button.btn-primary")
    page.wait_for_selector("#import-ready", timeout=60_000)

    assert "3000" in page.locator("#import-ready").inner_text()
    assert "株洲导入测试企业0" in page.locator("#import-preview").inner_text()
    screenshot(page, "import-preview")

    page.click("#apply-form button")
    page.wait_for_selector(".alert-success", timeout=60_000)

    assert "已导入 3000 行" in page.content()
    page.goto(f"{page.base_url}/admin/organisations/?search=株洲导入测试企业2999")
    assert "株洲导入测试企业2999" in page.content()
