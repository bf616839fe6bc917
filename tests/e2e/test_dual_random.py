"""Random inspections in a real browser: the overview and a registry import."""

import io

from openpyxl import Workbook
from stdnum.cn import uscc

from tests.e2e.conftest import screenshot, sign_in


def _valid_uscc(n: int) -> str:
    body = f"9143020{n:010d}"[:17]
    return body + uscc.calc_check_digit(body)


def _workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_overview_draws_its_charts(page):
    sign_in(page)

    page.goto(f"{page.base_url}/admin/dual-random-overview/")
    page.wait_for_selector("#chart-stages [data-drawn=true]")
    page.wait_for_selector("#chart-counties [data-drawn=true]")

    assert page.locator("#overview-heading").inner_text() == "双随机抽查概览"
    assert "芦淞区" in page.locator("#chart-counties .portal-chart").get_attribute(
        "data-chart"
    )
    screenshot(page, "chart-dual_random")


def test_import_with_a_bad_row_reports_it_and_imports_nothing(page):
    good_code = _valid_uscc(880_001)
    data = _workbook(
        [
            ["名称", "统一社会信用代码", "县市区", "风险等级"],
            ["株洲浏览器测试超市", good_code, "芦淞区", "低"],
            ["株洲浏览器测试药店", "123", "芦淞区", "低"],
        ]
    )
    sign_in(page)

    page.goto(f"{page.base_url}/admin/dual_random_files/")
    page.click("#import-targets")
    page.select_option("select[name=department_id]", label="市市场监督管理局")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "targets.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    page.click("#import-form button.btn-primary")
    # The upload goes up with a progress bar, then the check runs with another
    # and the page comes back with the preview and the report.
    page.wait_for_selector("#import-errors", timeout=30_000)

    assert "株洲浏览器测试超市" in page.locator("#import-preview").inner_text()
    assert page.locator("#apply-form").count() == 0
    report = page.locator("#import-errors").inner_text()
    assert "第 3 行" in report
    assert "第 2 行" not in report
    screenshot(page, "import-dual_random")

    page.goto(f"{page.base_url}/admin/dual_random_targets/?search={good_code}")
    assert "株洲浏览器测试超市" not in page.content()
