"""XLSX import and export of the two registries (task 4).

An import reads every row first and reports each bad cell by row and column;
only a file without a single error is written, in one transaction.
"""

import io
import logging

from flask_babel import force_locale
from sqlalchemy import select

from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _, _l
from core.imports import (
    Column,
    Importer,
    RowErrors,
    departments_by_name,
    existing_values,
    read_rows,
    report,
)
from core.models.organisations import Organisation
from core.scoping import scope
from core.validators import validate_uscc
from modules.dual_random.models import RISK_LABELS, Inspector, RiskLevel, Target
from modules.dual_random.services import _actor, _department, _qualifications

log = logging.getLogger(__name__)

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


def import_targets(user, department_id: int, stream) -> int:
    """Import targets into a department's registry; all rows or none."""
    department = _department(user, department_id)
    errors = RowErrors(TARGET_COLUMNS)
    rows = read_rows(stream, TARGET_COLUMNS, errors)
    counties = departments_by_name()
    clean = []
    for index, (number, row) in enumerate(rows):
        if index % 1000 == 0:
            report("checking", index, len(rows))
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
                errors.unique(number, "uscc", uscc)
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
    for index, (row, uscc, county, risk) in enumerate(clean):
        if index % 1000 == 0:
            report("writing", index, len(clean))
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
    errors = RowErrors(INSPECTOR_COLUMNS)
    rows = read_rows(stream, INSPECTOR_COLUMNS, errors)
    taken = existing_values(
        Inspector.certificate_no, [r.get("certificate_no", "") for _, r in rows]
    )
    clean = []
    for index, (number, row) in enumerate(rows):
        if index % 1000 == 0:
            report("checking", index, len(rows))
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
        else:
            errors.unique(number, "certificate_no", certificate)
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
    # Imported on first use: openpyxl adds a tenth of a second to every
    # worker's start-up, and only imports and exports need it.
    from openpyxl import Workbook

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


def registry_importers() -> list[Importer]:
    """The two registries' imports, offered on the portal's import pages."""
    return [
        Importer(
            name="dual_random.targets",
            title=_l("Target registry"),
            columns=TARGET_COLUMNS,
            permission="dual_random.edit",
            run=import_targets,
            example=[
                "株洲市示例超市有限公司",
                "",
                "食品经营者",
                "零售业",
                "芦淞区",
                "株洲市芦淞区建设中路1号",
                "低",
                "A",
            ],
        ),
        Importer(
            name="dual_random.inspectors",
            title=_l("Inspector registry"),
            columns=INSPECTOR_COLUMNS,
            permission="dual_random.edit",
            run=import_inspectors,
            example=["王五", "43020019001", "food", "是"],
        ),
    ]
