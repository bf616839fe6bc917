"""XLSX import and export of the two registries (task 4).

An import reads every row first and reports each bad cell by row and column;
only a file without a single error is written, in one transaction.
"""

import io
import logging
from dataclasses import dataclass
from zipfile import BadZipFile

from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _, _l
from core.models.departments import Department
from core.models.organisations import Organisation
from core.scoping import scope
from core.validators import validate_uscc
from modules.dual_random.models import RISK_LABELS, Inspector, RiskLevel, Target
from modules.dual_random.services import _actor, _department, _qualifications

log = logging.getLogger(__name__)

MAX_ROWS = 200_000


@dataclass(frozen=True)
class Column:
    """A spreadsheet column: its key and its header."""

    key: str
    label: object
    required: bool = False


TARGET_COLUMNS = [
    Column("name", _l("Name"), True),
    Column("uscc", _l("Unified social credit code")),
    Column("target_type", _l("Target type")),
    Column("industry", _l("Industry")),
    Column("county", _l("County"), True),
    Column("address", _l("Address")),
    Column("risk_level", _l("Risk level")),
    Column("credit_rating", _l("Credit rating")),
]

INSPECTOR_COLUMNS = [
    Column("name", _l("Name"), True),
    Column("certificate_no", _l("Enforcement certificate number"), True),
    Column("qualifications", _l("Qualifications")),
    Column("is_active", _l("Active")),
]

YES = {"yes", "y", "true", "1", "是"}
NO = {"no", "n", "false", "0", "否"}


def _headers(columns: list[Column]) -> dict[str, Column]:
    """Each column under its English and its Chinese header."""
    names = {}
    for column in columns:
        names[str(column.label).strip()] = column
        with force_locale("en"):
            names[str(column.label).strip()] = column
        with force_locale("zh_CN"):
            names[str(column.label).strip()] = column
    return names


def _read(stream, columns: list[Column]) -> list[tuple[int, dict]]:
    """The rows of the first sheet as (row number, {key: text})."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
        raise InvalidInput({"file": [_("The file is not an XLSX workbook.")]}) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    known = _headers(columns)
    positions = {}
    for index, cell in enumerate(header):
        column = known.get(str(cell or "").strip())
        if column is not None:
            positions[column.key] = index
    missing = [str(c.label) for c in columns if c.required and c.key not in positions]
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
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise InvalidInput(
                {"file": [_("A file holds at most %(n)s rows.", n=MAX_ROWS)]}
            )
        if not any(v not in (None, "") for v in values):
            continue
        record = {}
        for key, index in positions.items():
            value = values[index] if index < len(values) else None
            record[key] = "" if value is None else str(value).strip()
        result.append((number, record))
    book.close()
    if not result:
        raise InvalidInput({"file": [_("The file holds no rows.")]})
    return result


class _Errors:
    """Bad cells collected across the whole file, named by row and column."""

    def __init__(self, columns: list[Column]):
        self.by_key = {c.key: c for c in columns}
        self.messages: dict[str, list[str]] = {}

    def add(self, row: int, key: str, message: str) -> None:
        """Note a bad cell."""
        where = _(
            "Row %(row)s, column “%(column)s”",
            row=row,
            column=str(self.by_key[key].label),
        )
        self.messages.setdefault(where, []).append(message)

    def raise_if_any(self) -> None:
        """Refuse the whole file if any cell is bad."""
        if self.messages:
            raise InvalidInput(
                self.messages,
                detail=_(
                    "%(n)s rows have errors; nothing was imported.",
                    n=len({k.split(",")[0] for k in self.messages}),
                ),
            )


def _risk(value: str) -> RiskLevel | None:
    if not value:
        return RiskLevel.MEDIUM
    for level in RiskLevel:
        if value.lower() == level.value:
            return level
        with force_locale("zh_CN"):
            if value == str(RISK_LABELS[level]):
                return level
        with force_locale("en"):
            if value.lower() == str(RISK_LABELS[level]).lower():
                return level
    return None


def _counties() -> dict[str, Department]:
    counties = {}
    for department in db.session.scalars(select(Department)):
        counties.setdefault(department.code, department)
        counties.setdefault(department.name, department)
    return counties


def import_targets(user, department_id: int, stream) -> int:
    """Import targets into a department's registry; all rows or none."""
    department = _department(user, department_id)
    rows = _read(stream, TARGET_COLUMNS)
    errors = _Errors(TARGET_COLUMNS)
    counties = _counties()
    seen: dict[str, int] = {}
    clean = []
    for number, row in rows:
        if not row.get("name"):
            errors.add(number, "name", _("This field is required."))
        elif len(row["name"]) > 200:
            errors.add(number, "name", _("At most 200 characters."))
        uscc = row.get("uscc") or None
        if uscc:
            try:
                uscc = validate_uscc(uscc)
            except InvalidInput as error:
                errors.add(number, "uscc", error.errors["uscc"][0])
            else:
                if uscc in seen:
                    errors.add(
                        number,
                        "uscc",
                        _("The code repeats row %(row)s.", row=seen[uscc]),
                    )
                seen.setdefault(uscc, number)
        county = counties.get(row.get("county", ""))
        if county is None:
            errors.add(
                number,
                "county",
                _("No county “%(value)s” is known.", value=row.get("county", "")),
            )
        risk = _risk(row.get("risk_level", ""))
        if risk is None:
            errors.add(
                number,
                "risk_level",
                _("Write low, medium or high."),
            )
        clean.append((row, uscc, county, risk))
    errors.raise_if_any()

    organisations = {}
    codes = [u for _, u, _, _ in clean if u]
    for start in range(0, len(codes), 1000):
        for organisation in db.session.scalars(
            select(Organisation).where(
                Organisation.uscc.in_(codes[start : start + 1000])
            )
        ):
            organisations[organisation.uscc] = organisation
    for row, uscc, county, risk in clean:
        db.session.add(
            Target(
                department=department,
                organisation=organisations.get(uscc),
                name=row["name"],
                uscc=uscc,
                target_type=row.get("target_type", "")[:60],
                industry=row.get("industry", "")[:120],
                county=county,
                address=row.get("address", "")[:300],
                risk_level=risk,
                credit_rating=row.get("credit_rating", "")[:10],
            )
        )
    db.session.flush()
    log.info("%s imported %s targets into %s", _actor(), len(clean), department.name)
    return len(clean)


def import_inspectors(user, department_id: int, stream) -> int:
    """Import inspectors into a department's registry; all rows or none."""
    department = _department(user, department_id)
    rows = _read(stream, INSPECTOR_COLUMNS)
    errors = _Errors(INSPECTOR_COLUMNS)
    numbers = [r.get("certificate_no", "") for _, r in rows]
    taken = set()
    for start in range(0, len(numbers), 1000):
        taken.update(
            db.session.scalars(
                select(Inspector.certificate_no).where(
                    Inspector.certificate_no.in_(numbers[start : start + 1000])
                )
            )
        )
    seen: dict[str, int] = {}
    clean = []
    for number, row in rows:
        if not row.get("name"):
            errors.add(number, "name", _("This field is required."))
        certificate = row.get("certificate_no", "")
        if not certificate:
            errors.add(number, "certificate_no", _("This field is required."))
        elif certificate in taken:
            errors.add(
                number,
                "certificate_no",
                _("An inspector with certificate %(no)s exists.", no=certificate),
            )
        elif certificate in seen:
            errors.add(
                number,
                "certificate_no",
                _("The number repeats row %(row)s.", row=seen[certificate]),
            )
        seen.setdefault(certificate, number)
        active = row.get("is_active", "").lower()
        if active and active not in YES | NO:
            errors.add(number, "is_active", _("Write yes or no."))
        clean.append((row, active not in NO))
    errors.raise_if_any()

    for row, active in clean:
        db.session.add(
            Inspector(
                department=department,
                name=row["name"][:60],
                certificate_no=row["certificate_no"][:40],
                qualifications=",".join(_qualifications(row.get("qualifications"))),
                is_active=active,
            )
        )
    db.session.flush()
    log.info("%s imported %s inspectors into %s", _actor(), len(clean), department.name)
    return len(clean)


def _workbook(columns: list[Column], rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with force_locale("zh_CN"):
        sheet.append([str(c.label) for c in columns])
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_targets(user) -> bytes:
    """The targets the user may see as an XLSX file with Chinese headers."""
    statement = scope(select(Target), Target, user).order_by(Target.id)

    def rows():
        for target in db.session.scalars(statement.execution_options(yield_per=2000)):
            yield [
                target.name,
                target.uscc or "",
                target.target_type,
                target.industry,
                target.county.name,
                target.address,
                str(RISK_LABELS[target.risk_level]),
                target.credit_rating,
            ]

    return _workbook(TARGET_COLUMNS, rows())


def export_inspectors(user) -> bytes:
    """The inspectors the user may see as an XLSX file with Chinese headers."""
    statement = scope(select(Inspector), Inspector, user).order_by(Inspector.id)
    with force_locale("zh_CN"):
        yes, no = _("yes"), _("no")

    def rows():
        for inspector in db.session.scalars(statement):
            yield [
                inspector.name,
                inspector.certificate_no,
                inspector.qualifications,
                yes if inspector.is_active else no,
            ]

    return _workbook(INSPECTOR_COLUMNS, rows())
