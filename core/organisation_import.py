"""The organisation registry's XLSX import (core; used by every module)."""

import logging

from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _, _l
from core.imports import (
    Column,
    Importer,
    RowErrors,
    departments_by_name,
    existing_values,
    parse_date,
    read_rows,
    report,
)
from core.models import DepartmentKind
from core.models.organisations import Organisation
from core.scoping import can_own
from core.validators import validate_uscc

log = logging.getLogger(__name__)

COLUMNS = [
    Column("name", _l("Name"), True),
    Column("uscc", _l("Unified social credit code"), True),
    Column("county", _l("County"), True),
    Column("address", _l("Address")),
    Column("industry", _l("Industry")),
    Column("legal_representative", _l("Legal representative")),
    Column("founded_on", _l("Founded on")),
]
LIMITS = {"name": 200, "address": 300, "industry": 120, "legal_representative": 60}


def import_organisations(user, department_id, stream) -> int:
    """Add organisations from XLSX, each in a county the user may file for."""
    errors = RowErrors(COLUMNS)
    rows = read_rows(stream, COLUMNS, errors)
    counties = departments_by_name((DepartmentKind.COUNTY, DepartmentKind.CITY))
    clean = []
    for index, (number, row) in enumerate(rows):
        if index % 1000 == 0:
            report("checking", index, len(rows))
        for key, limit in LIMITS.items():
            if len(row.get(key, "")) > limit:
                errors.add(number, key, _("At most %(n)s characters.", n=limit))
        if not row.get("name"):
            errors.add(number, "name", _("This field is required."))
        uscc = None
        try:
            uscc = validate_uscc(row.get("uscc", ""))
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
        elif not can_own(user, county):
            errors.add(
                number,
                "county",
                _("You may not file organisations for %(name)s.", name=county.name),
            )
        founded_on = None
        if row.get("founded_on"):
            try:
                founded_on = parse_date(row["founded_on"])
            except ValueError:
                errors.add(
                    number,
                    "founded_on",
                    _(
                        "Write the date as 2026-09-28; “%(value)s” is not one.",
                        value=row["founded_on"],
                    ),
                )
        clean.append((number, row, uscc, county, founded_on))

    taken = existing_values(Organisation.uscc, [uscc for _n, _r, uscc, _c, _f in clean])
    for number, _row, uscc, _county, _founded in clean:
        if uscc in taken:
            errors.add(
                number,
                "uscc",
                _("An organisation with code %(code)s exists.", code=uscc),
            )
    errors.raise_if_any()

    for index, (_number, row, uscc, county, founded_on) in enumerate(clean):
        if index % 1000 == 0:
            report("writing", index, len(clean))
        db.session.add(
            Organisation(
                name=row["name"],
                uscc=uscc,
                county=county,
                address=row.get("address", ""),
                industry=row.get("industry", ""),
                legal_representative=row.get("legal_representative", ""),
                founded_on=founded_on,
            )
        )
    db.session.flush()
    log.info("%s imported %s organisations", user.username, len(clean))
    return len(clean)


def core_importers() -> list[Importer]:
    """The core's registry imports."""
    from core.calendar_admin import calendar_importers

    return calendar_importers() + [
        Importer(
            name="core.organisations",
            title=_l("Organisations"),
            columns=COLUMNS,
            permission="core.organisations.edit",
            run=import_organisations,
            needs_department=False,
            example=[
                "株洲市示例制造有限公司",
                "91430200MA4L00000L",
                "芦淞区",
                "株洲市芦淞区建设中路1号",
                "制造业",
                "张三",
                "2015-03-01",
            ],
        )
    ]
