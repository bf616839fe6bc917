"""Hostile and malformed uploads at every place the portal and the API take a file.

The places: every registry import of the portal (organisations, calendar,
inspection targets, inspectors, firefighters), the random-inspection API's two
imports, the award's supporting documents (portal and API) and the calendar
page's schedule upload. Each gets files of the wrong kind, oversized files,
path tricks in file names, workbooks with formulas and workbooks that are zip
archives of something else. Every one is refused with a message, and nothing is
written: no audit entry (every database write leaves one), and no file outside
the upload folder or under a name the client chose.
"""

import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core import imports
from core.models import AuditEntry

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
EXE = b"MZ\x90\x00" + bytes(200)
PDF = b"%PDF-1.4\n%hostile test\n"
PATH_TRICKS = [
    "../../../../evil.xlsx",
    "..\\..\\..\\evil.xlsx",
    "/etc/evil.xlsx",
    "evil\x00.xlsx",
    "%2e%2e%2fevil.xlsx",
    "CON.xlsx",
    "a" * 400 + ".xlsx",
]
GENERATED = re.compile(r"^[0-9a-f]{32}\.(xlsx|json|progress|pdf)$")


def workbook(rows, formula_at=None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    if formula_at:
        book.active[formula_at] = '=HYPERLINK("http://example.invalid","x")'
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_of_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


def audit_entries(db) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)))


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


@pytest.fixture
def root(app, db, city, create_user, login):
    """A superuser signed in to the portal, so every upload place is open."""
    user = create_user(city["city"], superuser=True)
    login(user)
    return user


@pytest.fixture
def uploads(app):
    return Path(app.config["UPLOAD_FOLDER"])


def importer_names(app) -> list[str]:
    with app.test_request_context():
        return sorted(imports.importers())


def header_and_example(app, name: str) -> tuple[list[str], list[str]]:
    """The importer's Chinese headers and its example row."""
    with app.test_request_context():
        importer = imports.importers()[name]
        header = [str(c.label) for c in importer.columns]
    return header, [str(v) for v in importer.example] or ["x"] * len(header)


def portal_import(client, name, data, file_name="file.xlsx", department_id=None):
    """Upload to a registry import and check it; the check's result or the refusal."""
    form = {"file": (io.BytesIO(data), file_name)}
    if department_id is not None:
        form["department_id"] = str(department_id)
    response = client.post(
        f"/admin/imports/{name}/", data=form, content_type="multipart/form-data"
    )
    if response.status_code != 302:
        return response.status_code, response.get_data(as_text=True)
    token = response.headers["Location"].rsplit("/", 1)[-1]
    client.post(f"/admin/imports/{name}/{token}/check")
    page = client.get(f"/admin/imports/{name}/{token}").get_data(as_text=True)
    client.post(f"/admin/imports/{name}/{token}/apply")
    return 200, page


def test_every_registry_import_is_covered(app):
    assert set(importer_names(app)) >= {
        "core-organisations",
        "core-calendar",
        "dual-random-targets",
        "dual-random-inspectors",
        "firefighter-benefits-firefighters",
    }


@pytest.mark.parametrize(
    "content, file_name, message",
    [
        (PNG, "picture.xlsx", "不是 XLSX 工作簿"),
        (EXE, "setup.exe", ".xlsx"),
        (b"", "empty.xlsx", "不是 XLSX 工作簿"),
        (zip_of_text(), "archive.xlsx", "不是 XLSX 工作簿"),
        (b"name,code\n\xff\xfe,1\n", "list.csv", ".xlsx"),
    ],
    ids=["png-named-xlsx", "exe", "empty", "zip-of-text", "csv"],
)
def test_imports_refuse_files_that_are_not_workbooks(
    app, client, db, root, city, uploads, content, file_name, message
):
    for name in importer_names(app):
        before_entries, before_files = audit_entries(db), files_under(uploads)

        status, page = portal_import(
            client, name, content, file_name, department_id=city["market"].id
        )

        assert message in page, (name, file_name)
        assert 'id="import-ready"' not in page
        assert audit_entries(db) == before_entries, name
        stored = files_under(uploads) - before_files
        assert all(GENERATED.match(p.name) for p in stored), stored


def test_imports_refuse_formulas_and_write_nothing(app, client, db, root, city):
    for name in importer_names(app):
        header, row = header_and_example(app, name)
        data = workbook([header, row], formula_at="A2")
        before = audit_entries(db)

        _status, page = portal_import(
            client, name, data, department_id=city["market"].id
        )

        assert "不接受公式" in page, name
        assert audit_entries(db) == before, name


def test_imports_refuse_files_with_too_many_rows(app, client, db, root, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [["名称", "统一社会信用代码", "县市区"]] + [["甲", "x", "y"]] * 5
    before = audit_entries(db)

    _status, page = portal_import(client, "core-organisations", workbook(rows))

    assert "最多 3 行" in page
    assert audit_entries(db) == before


def test_oversized_uploads_are_refused_everywhere(
    app, client, db, root, uploads, monkeypatch, qa, create_application, api
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    big = b"PK\x03\x04" + bytes(16_000)
    application = create_application()
    county, superuser = api(qa["lusong"]), api(root)  # tokens are written first
    before_entries, before_files = audit_entries(db), files_under(uploads)

    portal = client.post(
        "/admin/imports/core-organisations/",
        data={"file": (io.BytesIO(big), "big.xlsx")},
        content_type="multipart/form-data",
    )
    calendar_page = client.post(
        "/admin/calendar/2031",
        data={"upload": (io.BytesIO(big), "big.xlsx")},
        content_type="multipart/form-data",
    )
    document = county.post(
        f"/api/v1/quality-award/applications/{application.id}/documents",
        data={"title": "大文件", "file": (io.BytesIO(PDF + bytes(16_000)), "a.pdf")},
        content_type="multipart/form-data",
    )
    targets = superuser.post(
        "/api/v1/dual-random/targets/import",
        data={"department_id": "1", "file": (io.BytesIO(big), "big.xlsx")},
        content_type="multipart/form-data",
    )

    assert portal.status_code == 413
    assert calendar_page.status_code == 413
    assert document.status_code == 413
    assert document.content_type.startswith("application/problem+json")
    assert targets.status_code == 413
    assert audit_entries(db) == before_entries
    assert files_under(uploads) == before_files


def test_path_tricks_in_file_names_store_only_generated_names(
    app, client, db, root, uploads, qa, create_application, api
):
    application = create_application()
    instance = uploads.parent
    outside_before = files_under(instance) - files_under(uploads)
    good = workbook([["名称", "统一社会信用代码", "县市区"], ["甲", "x", "芦淞区"]])

    for trick in PATH_TRICKS:
        client.post(
            "/admin/imports/core-organisations/",
            data={"file": (io.BytesIO(good), trick)},
            content_type="multipart/form-data",
        )
        api(qa["lusong"]).post(
            f"/api/v1/quality-award/applications/{application.id}/documents",
            data={"title": "材料", "file": (io.BytesIO(PDF), trick[:-5] + ".pdf")},
            content_type="multipart/form-data",
        )

    stored = files_under(uploads)
    assert stored, "the uploads themselves were accepted"
    assert all(GENERATED.match(p.name) for p in stored), sorted(stored)
    assert all(p.resolve().is_relative_to(uploads.resolve()) for p in stored)
    assert files_under(instance) - files_under(uploads) == outside_before
    assert not Path("/etc/evil.xlsx").exists()
    assert not any("evil" in p.name for p in instance.parent.rglob("*evil*"))


@pytest.mark.parametrize(
    "content, file_name",
    [(PNG, "scan.pdf"), (EXE, "setup.exe"), (b"", "empty.pdf"), (PDF, "noext")],
    ids=["png-named-pdf", "exe", "empty", "no-extension"],
)
def test_award_documents_refuse_wrong_kinds(
    app, client, db, uploads, qa, create_application, api, login, content, file_name
):
    application = create_application()
    county = api(qa["lusong"])
    login(qa["lusong"])  # signing in is written too, so it comes first
    before_entries, before_files = audit_entries(db), files_under(uploads)

    through_api = county.post(
        f"/api/v1/quality-award/applications/{application.id}/documents",
        data={"title": "材料", "file": (io.BytesIO(content), file_name)},
        content_type="multipart/form-data",
    )
    portal = client.post(
        f"/admin/quality_award_detail/{application.id}/document",
        data={"title": "材料", "file": (io.BytesIO(content), file_name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert through_api.status_code == 400
    assert through_api.content_type.startswith("application/problem+json")
    assert "file" in through_api.json["errors"]
    assert portal.status_code == 200
    assert "alert-danger" in portal.get_data(as_text=True)
    assert audit_entries(db) == before_entries
    assert files_under(uploads) == before_files


@pytest.mark.parametrize(
    "content, file_name",
    [
        (PNG, "2031.xlsx"),
        (zip_of_text(), "2031.xlsx"),
        (b"\xff\xfe\x00garbage", "2031.csv"),
        (workbook([["2031-10-01", "节假日", "国庆节"]], formula_at="A1"), "2031.xlsx"),
        (PDF, "2031.pdf"),
    ],
    ids=["png-named-xlsx", "zip-of-text", "binary-csv", "formula", "pdf"],
)
def test_calendar_page_refuses_bad_schedule_files(
    app, client, db, root, content, file_name
):
    from core.models.calendar import CalendarYear

    before = audit_entries(db)

    response = client.post(
        "/admin/calendar/2031",
        data={"upload": (io.BytesIO(content), file_name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert db.session.get(CalendarYear, 2031) is None
    assert audit_entries(db) == before


@pytest.mark.parametrize("kind", ["targets", "inspectors"])
def test_inspection_api_imports_refuse_hostile_workbooks(
    app, db, root, city, api, kind
):
    client = api(root)
    header, row = header_and_example(app, f"dual-random-{kind}")
    cases = [
        (PNG, "x.xlsx"),
        (zip_of_text(), "x.xlsx"),
        (workbook([header, row], formula_at="A2"), "x.xlsx"),
    ]
    for content, file_name in cases:
        before = audit_entries(db)

        response = client.post(
            f"/api/v1/dual-random/{kind}/import",
            data={
                "department_id": str(city["market"].id),
                "file": (io.BytesIO(content), file_name),
            },
            content_type="multipart/form-data",
        )

        assert response.status_code == 400, (kind, file_name, response.json)
        assert response.content_type.startswith("application/problem+json")
        assert audit_entries(db) == before
