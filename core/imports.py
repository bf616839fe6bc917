"""Spreadsheet imports of the registries: upload, check, preview, then apply.

Every registry import (organisations, inspection targets, inspectors,
firefighters) goes the same way. The file is stored under a generated name in
the upload folder (the client's file name never becomes a path). A check runs
the importer in a transaction that is rolled back, so the preview shows exactly
what applying would do: the first rows as read, the number of rows, and every
bad cell by row and column. Applying runs the importer again and commits only if
no row has an error: an import writes all its rows or none.

A long check or apply reports its progress to a small file beside the upload,
which any worker process can read, so the portal's progress bar works however
many workers serve it.
"""

import contextvars
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zipfile import BadZipFile

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from core.errors import InvalidInput, NotFound, PortalError
from core.extensions import db
from core.i18n import _
from core.models.departments import Department

log = logging.getLogger(__name__)

MAX_ROWS = 200_000
MAX_CELL_CHARS = 2_000
PREVIEW_ROWS = 20
# Uploads nobody applied are removed after a day.
STALE_SECONDS = 24 * 3600
# Zip archives start with these bytes; an XLSX file is a zip archive.
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Column:
    """A spreadsheet column: its key, its (translated) header, whether required."""

    key: str
    label: object
    required: bool = False
    # Personal information (PIPL) is masked in the preview, e.g. resident IDs.
    mask: Callable | None = None


@dataclass(frozen=True)
class Importer:
    """A registry that can be imported from XLSX.

    `run(user, department_id, stream)` reads the file with `read_rows`, checks
    every row, raises `InvalidInput` naming each bad cell, and otherwise adds the
    rows and flushes; it never commits. It returns the number of rows imported.
    """

    name: str
    title: object
    columns: list[Column]
    permission: str
    run: Callable
    # Whether the rows go into one department chosen on the upload form.
    needs_department: bool = True
    example: list = field(default_factory=list)

    @property
    def url_name(self) -> str:
        """The importer's name as it appears in URLs."""
        return self.name.replace(".", "-").replace("_", "-")


def importers() -> dict[str, Importer]:
    """The importers of the core and every enabled module, by URL name."""
    registry = current_app.extensions["registry"]
    found = {}
    for importer in registry.importers():
        found[importer.url_name] = importer
    return found


# -- reading -----------------------------------------------------------------


class RowErrors:
    """Bad cells collected across a whole file, each named by row and column."""

    def __init__(self, columns: list[Column]):
        self.by_key = {c.key: c for c in columns}
        self.items: list[tuple[int, str, str]] = []
        self._first_rows: dict[str, dict] = {}

    def add(self, row: int, key: str, message: str) -> None:
        """Note a bad cell."""
        label = self.by_key[key].label if key in self.by_key else key
        self.items.append((row, str(label), str(message)))

    def unique(self, row: int, key: str, value) -> None:
        """Note a value that repeats an earlier row of the same column."""
        first = self._first_rows.setdefault(key, {}).setdefault(value, row)
        if first != row:
            self.add(row, key, _("The value repeats row %(row)s.", row=first))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Refuse the whole file if any cell is bad."""
        if not self.items:
            return
        messages: dict[str, list[str]] = {}
        for row, column, message in self.items:
            where = _("Row %(row)s, column “%(column)s”", row=row, column=column)
            messages.setdefault(where, []).append(message)
        raise InvalidInput(
            messages,
            detail=_(
                "%(n)s rows have errors; nothing was imported.",
                n=len({row for row, _column, _message in self.items}),
            ),
        )


def _headers(columns: list[Column]) -> dict[str, Column]:
    """Each column under its Chinese and its English header."""
    names = {}
    for column in columns:
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                names[str(column.label).strip()] = column
    return names


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A number typed into a text column arrives as 123.0.
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat() if not value.hour else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def parse_date(text: str) -> date:
    """A date written 2026-09-28, 2026/9/28, 2026.9.28 or 2026年9月28日."""
    cleaned = text.strip()
    for mark in ("年", "月", "/", "."):
        cleaned = cleaned.replace(mark, "-")
    parts = cleaned.removesuffix("日").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def open_workbook(stream):
    """Open an uploaded XLSX for reading, or refuse it with a clear message."""
    # Imported on first use: openpyxl adds a tenth of a second to every
    # worker's start-up, and only imports need it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    head = stream.read(len(XLSX_MAGIC))
    stream.seek(0)
    if head != XLSX_MAGIC:
        raise InvalidInput({"file": [_("The file is not an XLSX workbook.")]})
    try:
        # Formulas are kept as formulas (data_only=False) so they can be refused:
        # a value computed by someone else's spreadsheet is not a value typed in.
        return load_workbook(stream, read_only=True, data_only=False)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
        raise InvalidInput({"file": [_("The file is not an XLSX workbook.")]}) from None


def read_rows(stream, columns: list[Column], errors: RowErrors) -> list[tuple]:
    """The rows of the first sheet as (row number, {key: text}).

    Bad cells (formulas, overlong text) go to `errors`; a file whose header
    lacks a required column, that holds no rows or too many, is refused at once.
    """
    book = open_workbook(stream)
    try:
        sheet = book.worksheets[0]
        total = max((sheet.max_row or 1) - 1, 0)
        rows = sheet.iter_rows()
        header = [cell.value for cell in next(rows, ())]
        known = _headers(columns)
        positions = {}
        for index, value in enumerate(header):
            column = known.get(_text(value))
            if column is not None and column.key not in positions:
                positions[column.key] = index
        missing = [
            str(c.label) for c in columns if c.required and c.key not in positions
        ]
        if missing:
            raise InvalidInput(
                {
                    "file": [
                        _(
                            "The first row must name the columns; missing: %(names)s.",
                            names="、".join(missing),
                        )
                    ]
                }
            )

        result = []
        for number, cells in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise InvalidInput(
                    {"file": [_("A file holds at most %(n)s rows.", n=MAX_ROWS)]}
                )
            if number % 1000 == 0:
                report("reading", number - 1, total)
            if all(getattr(c, "value", None) in (None, "") for c in cells):
                continue
            record = {}
            for key, index in positions.items():
                cell = cells[index] if index < len(cells) else None
                if cell is not None and getattr(cell, "data_type", None) == "f":
                    errors.add(
                        number,
                        key,
                        _("Formulas are not accepted; paste the values instead."),
                    )
                    record[key] = ""
                    continue
                text = _text(getattr(cell, "value", None))
                if len(text) > MAX_CELL_CHARS:
                    errors.add(
                        number,
                        key,
                        _("At most %(n)s characters.", n=MAX_CELL_CHARS),
                    )
                    text = ""
                record[key] = text
            result.append((number, record))
    finally:
        book.close()
    if not result:
        raise InvalidInput({"file": [_("The file holds no rows.")]})
    _remember_preview(columns, result)
    return result


def existing_values(column, values) -> set:
    """Which of `values` the column holds already (asked 1,000 at a time)."""
    from sqlalchemy import select

    from core.extensions import db

    values = [v for v in values if v]
    found = set()
    for start in range(0, len(values), 1000):
        found.update(
            db.session.scalars(
                select(column).where(column.in_(values[start : start + 1000]))
            )
        )
    return found


def departments_by_name(kinds=()) -> dict:
    """Departments under their code and their name, as spreadsheets write them."""
    statement = select(Department).order_by(Department.id)
    if kinds:
        statement = statement.where(Department.kind.in_(kinds))
    found = {}
    for department in db.session.scalars(statement):
        found.setdefault(department.code, department)
        found.setdefault(department.name, department)
    return found


# -- progress ------------------------------------------------------------------


class _Run:
    """What one check or apply shares with the code it calls."""

    def __init__(self, progress_path: Path | None):
        self.progress_path = progress_path
        self.preview: dict | None = None
        self.last_write = 0.0

    def write(self, stage: str, done: int, total: int, force: bool = False) -> None:
        if self.progress_path is None:
            return
        now = time.monotonic()
        if not force and now - self.last_write < 0.25:
            return
        self.last_write = now
        partial = self.progress_path.with_suffix(".progress.tmp")
        partial.write_text(json.dumps({"stage": stage, "done": done, "total": total}))
        os.replace(partial, self.progress_path)


_current: contextvars.ContextVar[_Run | None] = contextvars.ContextVar(
    "import_run", default=None
)


def report(stage: str, done: int, total: int) -> None:
    """Tell the portal how far a long import has got (cheap; throttled)."""
    run = _current.get()
    if run is not None:
        run.write(stage, done, total)


def _remember_preview(columns: list[Column], rows: list[tuple]) -> None:
    run = _current.get()
    if run is None or run.preview is not None:
        return
    run.preview = {
        "headers": [str(c.label) for c in columns],
        "rows": [
            [number]
            + [
                c.mask(record.get(c.key, "")) if c.mask else record.get(c.key, "")
                for c in columns
            ]
            for number, record in rows[:PREVIEW_ROWS]
        ],
        "count": len(rows),
    }


# -- stored uploads ------------------------------------------------------------


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path, Path]:
    # The token is the only part of the path that comes from a request, and
    # only 32 hex digits pass.
    if len(token) != 32 or any(ch not in "0123456789abcdef" for ch in token):
        raise NotFound(_("No such upload."))
    folder = _folder()
    return (
        folder / f"{token}.xlsx",
        folder / f"{token}.json",
        folder / f"{token}.progress",
    )


def _sweep(folder: Path) -> None:
    limit = time.time() - STALE_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def store_upload(user, importer: Importer, upload, department_id: int | None) -> str:
    """Check an uploaded file's kind and size and keep it; returns its token."""
    name = (getattr(upload, "filename", "") or "").strip()
    if upload is None or not name:
        raise InvalidInput({"file": [_("Attach an XLSX file.")]})
    if not name.lower().endswith(".xlsx"):
        raise InvalidInput(
            {"file": [_("Upload an .xlsx file; “%(name)s” is not one.", name=name)]}
        )
    if importer.needs_department and department_id is None:
        raise InvalidInput({"department_id": [_("Choose an existing department.")]})
    content = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    if len(content) > current_app.config["MAX_CONTENT_LENGTH"]:
        raise InvalidInput({"file": [_("The file is too large.")]})
    if not content.startswith(XLSX_MAGIC):
        raise InvalidInput({"file": [_("The file is not an XLSX workbook.")]})

    folder = _folder()
    _sweep(folder)
    token = secrets.token_hex(16)
    data, meta, _progress = _paths(token)
    data.write_bytes(content)
    meta.write_text(
        json.dumps(
            {
                "importer": importer.url_name,
                "user_id": user.id,
                "department_id": department_id,
                # Shown to the user only; never used as a path.
                "file_name": name[-200:],
                "size": len(content),
                "result": None,
            },
            ensure_ascii=False,
        )
    )
    log.info(
        "%s uploaded %s (%s bytes) for the %s import as %s",
        user.username,
        name[-200:],
        len(content),
        importer.name,
        token,
    )
    return token


def load_upload(user, token: str) -> dict:
    """The stored upload's details; only its uploader may see them."""
    _data, meta, _progress = _paths(token)
    if not meta.exists():
        raise NotFound(_("No such upload."))
    details = json.loads(meta.read_text())
    if details["user_id"] != user.id:
        raise NotFound(_("No such upload."))
    return details


def progress_of(user, token: str) -> dict:
    """How far the upload's check or apply has got."""
    load_upload(user, token)
    _data, _meta, progress = _paths(token)
    if not progress.exists():
        return {"stage": "waiting", "done": 0, "total": 0}
    return json.loads(progress.read_text())


def _execute(user, importer: Importer, token: str, details: dict, commit: bool):
    data, meta, progress = _paths(token)
    run = _Run(progress)
    reset = _current.set(run)
    run.write("reading", 0, 0, force=True)
    try:
        with data.open("rb") as stream:
            count = importer.run(user, details["department_id"], stream)
        if commit:
            run.write("writing", count, count, force=True)
            db.session.commit()
        else:
            db.session.rollback()
        result = {"ok": True, "count": count, "errors": [], "detail": ""}
    except PortalError as error:
        # A bad row or a refused department: the report names it, nothing stays.
        db.session.rollback()
        result = {
            "ok": False,
            "count": 0,
            "errors": [[where, " ".join(m)] for where, m in error.errors.items()],
            "detail": error.detail,
        }
    finally:
        _current.reset(reset)
    result["preview"] = run.preview
    run.write("done", 1, 1, force=True)
    return result


def _importer_of(user, details: dict) -> Importer:
    # The permission is asked again: it may have been withdrawn since the upload.
    importer = importers().get(details["importer"])
    if importer is None or not user.can(importer.permission):
        raise NotFound(_("No such upload."))
    return importer


def check_upload(user, token: str) -> dict:
    """Run the import without keeping anything; store and return what it found."""
    details = load_upload(user, token)
    importer = _importer_of(user, details)
    result = _execute(user, importer, token, details, commit=False)
    details["result"] = result
    _data, meta, _progress = _paths(token)
    meta.write_text(json.dumps(details, ensure_ascii=False))
    return result


def apply_upload(user, token: str) -> dict:
    """Import every row for real, all or nothing, then forget the upload."""
    details = load_upload(user, token)
    importer = _importer_of(user, details)
    result = _execute(user, importer, token, details, commit=True)
    if result["ok"]:
        log.info(
            "%s imported %s rows with the %s import from %s",
            user.username,
            result["count"],
            importer.name,
            details["file_name"],
        )
        discard_upload(user, token)
    else:
        details["result"] = result
        _data, meta, _progress = _paths(token)
        meta.write_text(json.dumps(details, ensure_ascii=False))
    return result


def discard_upload(user, token: str) -> None:
    """Remove a stored upload and what was found in it."""
    load_upload(user, token)
    for path in _paths(token):
        path.unlink(missing_ok=True)
