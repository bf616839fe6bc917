"""Registry imports on the portal: upload, check, preview, apply all or nothing."""

import io
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from stdnum.cn import uscc

from core.models.organisations import Organisation
from tests.conftest import PASSWORD

BASE = "/admin/imports/core-organisations"
HEADER = ["名称", "统一社会信用代码", "县市区", "地址", "成立日期"]


def code(n: int) -> str:
    body = f"9143020{n:010d}"[:17]
    return body + uscc.calc_check_digit(body)


def workbook(rows, formula_at=None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    if formula_at:
        book.active[formula_at] = "=1+1"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def officer(city, create_user, login):
    user = create_user(
        city["lusong"], ["core.organisations.view", "core.organisations.edit"]
    )
    login(user)
    return user


def upload(client, data: bytes, name="orgs.xlsx"):
    return client.post(
        f"{BASE}/",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def organisations(db) -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


def test_good_file_is_previewed_then_imported(client, db, officer):
    data = workbook(
        [HEADER, ["株洲甲公司", code(1), "芦淞区", "建设中路1号", "2015-03-01"]]
        + [[f"株洲乙公司{n}", code(100 + n), "芦淞区", "", ""] for n in range(30)]
    )
    token = token_of(upload(client, data))

    checked = client.post(f"{BASE}/{token}/check")
    preview = client.get(f"{BASE}/{token}").get_data(as_text=True)

    assert checked.status_code == 302
    assert organisations(db) == 0  # the check keeps nothing
    assert "株洲甲公司" in preview and 'id="import-preview"' in preview
    assert "株洲乙公司29" not in preview  # only the first rows are shown
    assert 'id="import-ready"' in preview

    applied = client.post(f"{BASE}/{token}/apply")

    assert applied.status_code == 302
    assert organisations(db) == 31
    first = db.session.scalars(
        select(Organisation).where(Organisation.uscc == code(1))
    ).one()
    assert str(first.founded_on) == "2015-03-01"
    assert client.get(f"{BASE}/{token}").status_code == 404  # the upload is gone


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_imported(
    client, db, officer
):
    data = workbook(
        [
            HEADER,
            ["株洲甲公司", code(1), "芦淞区", "", ""],
            ["株洲乙公司", code(1)[:-1] + "0", "芦淞区", "", ""],
            ["株洲丙公司", code(1), "芦淞区", "", ""],
            ["株洲丁公司", code(2), "荷塘区", "", ""],
            ["株洲戊公司", code(3), "芦淞区", "", "2015/13/40"],
            ["", code(4), "火星区", "", ""],
        ]
    )
    token = token_of(upload(client, data))
    client.post(f"{BASE}/{token}/check")

    page = client.get(f"{BASE}/{token}").get_data(as_text=True)
    refused = client.post(f"{BASE}/{token}/apply", follow_redirects=True)

    assert 'id="import-errors"' in page
    for row in (3, 4, 5, 6, 7):
        assert f"第 {row} 行" in page
    assert "<td>第 2 行" not in page
    assert "重复" in page  # the repeated code names the first row
    assert "荷塘区" in page  # a county the officer may not file for
    assert "2015/13/40" in page
    assert refused.status_code == 200
    assert organisations(db) == 0


def test_formula_cells_are_refused(client, db, officer):
    data = workbook(
        [HEADER, ["株洲甲公司", code(1), "芦淞区", "", ""]], formula_at="D2"
    )
    token = token_of(upload(client, data))
    client.post(f"{BASE}/{token}/check")

    page = client.get(f"{BASE}/{token}").get_data(as_text=True)

    assert "公式" in page
    assert organisations(db) == 0


def test_missing_required_column_is_named(client, db, officer):
    token = token_of(upload(client, workbook([["名称", "地址"], ["株洲甲公司", ""]])))
    client.post(f"{BASE}/{token}/check")

    page = client.get(f"{BASE}/{token}").get_data(as_text=True)

    assert "统一社会信用代码" in page and "县市区" in page
    assert organisations(db) == 0


def test_progress_is_readable_while_and_after_checking(client, db, officer):
    rows = [HEADER] + [
        [f"株洲公司{n}", code(1000 + n), "芦淞区", "", ""] for n in range(2500)
    ]
    token = token_of(upload(client, workbook(rows)))

    before = client.get(f"{BASE}/{token}/progress").get_json()
    client.post(f"{BASE}/{token}/check", headers={"X-Requested-With": "fetch"})
    after = client.get(f"{BASE}/{token}/progress").get_json()

    assert before["stage"] == "waiting"
    assert after == {"stage": "done", "done": 1, "total": 1}


def test_apply_without_a_check_is_refused(client, db, officer):
    data = workbook([HEADER, ["株洲甲公司", code(1), "芦淞区", "", ""]])
    token = token_of(upload(client, data))

    client.post(f"{BASE}/{token}/apply")

    assert organisations(db) == 0


def test_another_users_upload_is_not_found(app, client, db, city, officer, create_user):
    data = workbook([HEADER, ["株洲甲公司", code(1), "芦淞区", "", ""]])
    token = token_of(upload(client, data))
    other = create_user(
        city["lusong"], ["core.organisations.view", "core.organisations.edit"]
    )
    stranger = app.test_client()
    stranger.post(
        "/admin/login/",
        data={"username": other.username, "password": PASSWORD},
    )

    for path in ("", "/progress"):
        assert stranger.get(f"{BASE}/{token}{path}").status_code in (302, 404)
    assert stranger.post(f"{BASE}/{token}/apply").status_code in (302, 404)
    assert organisations(db) == 0


def test_template_has_the_chinese_headers(client, db, officer):
    response = client.get(f"{BASE}/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active

    assert [c.value for c in sheet[1]][:3] == ["名称", "统一社会信用代码", "县市区"]


def test_the_stored_file_has_a_generated_name(app, client, db, officer):
    data = workbook([HEADER, ["株洲甲公司", code(1), "芦淞区", "", ""]])
    token = token_of(upload(client, data, name="../../报表.xlsx"))

    folder = Path(app.config["UPLOAD_FOLDER"]) / "imports"
    details = json.loads((folder / f"{token}.json").read_text())

    assert (folder / f"{token}.xlsx").read_bytes() == data
    assert details["file_name"] == "../../报表.xlsx"  # shown, never used as a path


@pytest.fixture
def calendar_keeper(city, create_user, login):
    user = create_user(city["city"], ["core.calendar.edit"])
    login(user)
    return user


def test_calendar_schedule_is_imported_after_a_preview_and_left_unconfirmed(
    client, db, calendar_keeper
):
    from core import calendar
    from core.models.calendar import CalendarYear

    base = "/admin/imports/core-calendar"
    data = workbook(
        [
            ["日期", "类型", "节日名称"],
            ["2031-10-01", "节假日", "国庆节"],
            ["2031-10-02", "holiday", "国庆节"],
            ["2031-09-27", "调休上班", "国庆节"],
        ]
    )
    token = token_of(
        client.post(
            f"{base}/",
            data={"file": (io.BytesIO(data), "2031.xlsx")},
            content_type="multipart/form-data",
        )
    )
    client.post(f"{base}/{token}/check")
    client.post(f"{base}/{token}/apply")

    assert calendar.is_working_day(date(2031, 9, 27)).value  # a Saturday made up
    assert not calendar.is_working_day(date(2031, 10, 1)).value
    assert db.session.get(CalendarYear, 2031).confirmed is False


def test_calendar_weekday_make_up_day_and_repeated_date_are_named(
    client, db, calendar_keeper
):
    from core.models.calendar import CalendarYear

    base = "/admin/imports/core-calendar"
    data = workbook(
        [
            ["日期", "类型"],
            ["2031-10-01", "节假日"],
            ["2031-10-01", "节假日"],
            ["2031-09-29", "调休上班"],
            ["2031-13-01", "节假日"],
        ]
    )
    token = token_of(
        client.post(
            f"{base}/",
            data={"file": (io.BytesIO(data), "2031.xlsx")},
            content_type="multipart/form-data",
        )
    )
    client.post(f"{base}/{token}/check")
    page = client.get(f"{base}/{token}").get_data(as_text=True)

    for row in (3, 4, 5):
        assert f"<td>第 {row} 行" in page
    assert db.session.get(CalendarYear, 2031) is None
