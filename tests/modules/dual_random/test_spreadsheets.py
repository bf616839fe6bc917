"""XLSX import with a row-by-row error report, and export with Chinese headers."""

import io

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.errors import InvalidInput
from modules.dual_random import spreadsheets
from modules.dual_random.models import Inspector, RiskLevel, Target
from tests.modules.dual_random.conftest import ROOT, make_uscc


def xlsx(rows) -> io.BytesIO:
    """An in-memory workbook of `rows`."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def zh_headers(columns) -> list[str]:
    """The Chinese headers of a registry's columns, as the export writes them."""
    with force_locale("zh_CN"):
        return [str(c.label) for c in columns]


def test_import_targets_writes_every_row(db, depts, app):
    county = depts["lusong"]
    stream = xlsx(
        [
            zh_headers(spreadsheets.TARGET_COLUMNS),
            [
                "甲超市",
                make_uscc(501),
                "食品经营者",
                "零售",
                county.name,
                "建设路1号",
                "高",
                "A",
            ],
            ["乙药店", "", "药品经营者", "零售", county.code, "", "", ""],
        ]
    )

    with force_locale("zh_CN"):
        count = spreadsheets.import_targets(ROOT, depts["market"].id, stream)

    targets = db.session.scalars(select(Target).order_by(Target.id)).all()
    assert count == 2
    assert targets[0].risk_level == RiskLevel.HIGH
    assert targets[1].uscc is None
    assert targets[1].county_id == county.id


def test_import_with_bad_credit_code_names_row_and_column_and_writes_nothing(db, depts):
    stream = xlsx(
        [
            ["Name", "Unified social credit code", "County"],
            ["甲超市", make_uscc(502), depts["lusong"].name],
            ["乙药店", "91430200XXXXXXXXXX", depts["lusong"].name],
        ]
    )

    with force_locale("en"), pytest.raises(InvalidInput) as error:
        spreadsheets.import_targets(ROOT, depts["market"].id, stream)
    db.session.rollback()

    assert list(error.value.errors) == ["Row 3, column “Unified social credit code”"]
    assert db.session.scalar(select(func.count(Target.id))) == 0


def test_import_reports_every_bad_row(db, depts):
    stream = xlsx(
        [
            ["Name", "County", "Risk level"],
            ["", depts["lusong"].name, "low"],
            ["丙店", "不存在区", "extreme"],
        ]
    )

    with force_locale("en"), pytest.raises(InvalidInput) as error:
        spreadsheets.import_targets(ROOT, depts["market"].id, stream)

    assert set(error.value.errors) == {
        "Row 2, column “Name”",
        "Row 3, column “County”",
        "Row 3, column “Risk level”",
    }


def test_import_refuses_a_file_that_is_not_xlsx(db, depts):
    with pytest.raises(InvalidInput) as error:
        spreadsheets.import_targets(ROOT, depts["market"].id, io.BytesIO(b"nope"))
    assert "file" in error.value.errors


def test_import_inspectors_refuses_repeated_certificate(db, depts):
    stream = xlsx(
        [
            ["Name", "Enforcement certificate number", "Qualifications"],
            ["张三", "ZF1", "food"],
            ["李四", "ZF1", "food"],
        ]
    )

    with force_locale("en"), pytest.raises(InvalidInput) as error:
        spreadsheets.import_inspectors(ROOT, depts["market"].id, stream)
    db.session.rollback()

    assert list(error.value.errors) == [
        "Row 3, column “Enforcement certificate number”"
    ]
    assert db.session.scalar(select(func.count(Inspector.id))) == 0


def test_import_inspectors_reads_qualifications_and_activity(db, depts):
    stream = xlsx(
        [
            zh_headers(spreadsheets.INSPECTOR_COLUMNS),
            ["张三", "ZF9", "food，price", "否"],
        ]
    )

    with force_locale("zh_CN"):
        spreadsheets.import_inspectors(ROOT, depts["market"].id, stream)

    inspector = db.session.scalars(select(Inspector)).one()
    assert inspector.qualification_set == {"food", "price"}
    assert inspector.is_active is False


def test_export_targets_has_chinese_headers(db, depts, create_target):
    create_target(depts["market"], depts["lusong"], name="丁店")

    book = load_workbook(io.BytesIO(spreadsheets.export_targets(ROOT)))

    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == tuple(zh_headers(spreadsheets.TARGET_COLUMNS))
    assert rows[0][:2] == ("名称", "统一社会信用代码")
    assert rows[1][0] == "丁店"


def test_export_then_import_round_trips(db, depts, create_inspector):
    create_inspector(depts["market"], qualifications="food")
    data = spreadsheets.export_inspectors(ROOT)
    db.session.execute(Inspector.__table__.delete())

    count = spreadsheets.import_inspectors(ROOT, depts["market"].id, io.BytesIO(data))

    assert count == 1
