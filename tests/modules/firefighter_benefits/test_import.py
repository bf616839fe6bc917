"""The firefighter registry's XLSX import: every bad cell named, all or nothing."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.errors import InvalidInput
from core.timeutil import today_local
from modules.firefighter_benefits.models import Firefighter
from modules.firefighter_benefits.spreadsheets import import_firefighters
from tests.modules.firefighter_benefits.conftest import (
    ALL_PERMISSIONS,
    make_resident_id,
)

HEADER = ["姓名", "居民身份证号", "人员类别", "支队", "消防救援站", "入职日期"]


def workbook(rows) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def officer(fire, create_user):
    return create_user(fire["brigade"], ALL_PERMISSIONS)


def count(db) -> int:
    return db.session.scalar(select(func.count(Firefighter.id)))


def refused(officer, rows) -> str:
    with pytest.raises(InvalidInput) as caught:
        import_firefighters(officer, None, workbook([HEADER, *rows]))
    return " ".join(f"{k} {' '.join(v)}" for k, v in caught.value.errors.items())


def test_good_rows_are_registered(db, fire, officer):
    born = date(1995, 5, 5)
    rows = [
        [
            "王建国",
            make_resident_id(born),
            "政府专职消防员",
            "株洲市消防救援支队",
            "荷塘消防救援站",
            "2020-03-10",
        ],
        [
            "李卫东",
            make_resident_id(born),
            "消防文员",
            "株洲市消防救援支队",
            "",
            date(2021, 7, 1),
        ],
    ]

    imported = import_firefighters(officer, None, workbook([HEADER, *rows]))
    db.session.commit()

    assert imported == 2
    people = db.session.scalars(select(Firefighter).order_by(Firefighter.id)).all()
    assert [p.category.value for p in people] == ["full_time", "civilian_staff"]
    assert people[0].station_id == fire["station"].id
    assert people[1].service_start == date(2021, 7, 1)


def test_service_start_on_the_16th_birthday_is_accepted_and_a_day_before_not(
    db, fire, officer
):
    born = date(2000, 5, 5)
    on_birthday = [
        "甲",
        make_resident_id(born),
        "政府专职消防员",
        "株洲市消防救援支队",
        "",
        "2016-05-05",
    ]
    day_before = [
        "乙",
        make_resident_id(born),
        "政府专职消防员",
        "株洲市消防救援支队",
        "",
        "2016-05-04",
    ]

    report = refused(officer, [on_birthday, day_before])

    assert "第 3 行" in report and "16" in report
    assert "第 2 行" not in report
    assert count(db) == 0
    assert import_firefighters(officer, None, workbook([HEADER, on_birthday])) == 1


def test_every_kind_of_bad_cell_is_named_and_nothing_is_imported(db, fire, officer):
    good_id = make_resident_id(date(1990, 1, 1))
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    rows = [
        ["好人", good_id, "政府专职消防员", "株洲市消防救援支队", "", "2015-01-01"],
        [
            "错码",
            good_id[:-1] + ("0" if good_id[-1] != "0" else "1"),
            "政府专职消防员",
            "株洲市消防救援支队",
            "",
            "2015-01-01",
        ],
        ["重复", good_id, "政府专职消防员", "株洲市消防救援支队", "", "2015-01-01"],
        [
            "未来",
            make_resident_id(date(1990, 1, 1)),
            "政府专职消防员",
            "株洲市消防救援支队",
            "",
            tomorrow,
        ],
        [
            "格式",
            make_resident_id(date(1990, 1, 1)),
            "政府专职消防员",
            "株洲市消防救援支队",
            "",
            "15/01/2015",
        ],
        [
            "类别",
            make_resident_id(date(1990, 1, 1)),
            "志愿者",
            "株洲市消防救援支队",
            "",
            "2015-01-01",
        ],
        [
            "外站",
            make_resident_id(date(1990, 1, 1)),
            "政府专职消防员",
            "外市消防救援支队",
            "荷塘消防救援站",
            "2015-01-01",
        ],
    ]

    report = refused(officer, rows)

    for row in range(3, 9):
        assert f"第 {row} 行" in report, row
    assert "第 2 行“" not in report
    assert "第 2 行重复" in report or "与第 2 行" in report
    assert "15/01/2015" in report
    assert count(db) == 0


def test_an_already_registered_person_is_refused(db, fire, officer, create_firefighter):
    existing = create_firefighter()

    report = refused(
        officer,
        [
            [
                "再登记",
                existing.resident_id,
                "政府专职消防员",
                "株洲市消防救援支队",
                "",
                "2015-01-01",
            ]
        ],
    )

    assert "已登记" in report or "registered" in report
    assert count(db) == 1


def test_another_brigades_officer_cannot_import_into_this_brigade(
    db, fire, create_user
):
    stranger = create_user(fire["other_brigade"], ALL_PERMISSIONS)

    report = refused(
        stranger,
        [
            [
                "王建国",
                make_resident_id(date(1990, 1, 1)),
                "政府专职消防员",
                "株洲市消防救援支队",
                "",
                "2015-01-01",
            ]
        ],
    )

    assert "第 2 行" in report
    assert count(db) == 0


def test_portal_preview_masks_resident_ids(client, db, fire, officer, login):
    resident_id = make_resident_id(date(1990, 1, 1))
    data = workbook(
        [
            HEADER,
            [
                "王建国",
                resident_id,
                "政府专职消防员",
                "株洲市消防救援支队",
                "",
                "2015-01-01",
            ],
        ]
    ).getvalue()
    login(officer)
    base = "/admin/imports/firefighter-benefits-firefighters"

    uploaded = client.post(
        f"{base}/",
        data={"file": (io.BytesIO(data), "people.xlsx")},
        content_type="multipart/form-data",
    )
    token = uploaded.headers["Location"].rsplit("/", 1)[-1]
    client.post(f"{base}/{token}/check")
    page = client.get(f"{base}/{token}").get_data(as_text=True)

    assert resident_id not in page
    assert resident_id[:6] in page and resident_id[-4:] in page
    assert 'id="import-ready"' in page
    client.post(f"{base}/{token}/apply")
    assert count(db) == 1
