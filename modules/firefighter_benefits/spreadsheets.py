"""The firefighter registry's XLSX import (section 1(1) of the notice).

Each row is one serving firefighter: resident ID (check digit checked), name,
category, brigade and station, and service start. A file with a single bad row
imports nothing; the report names every bad cell by row and column.
"""

import logging

from flask_babel import force_locale

from core import scoping
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
from core.timeutil import today_local
from core.validators import (
    birth_date_of,
    mask_phone,
    mask_resident_id,
    validate_resident_id,
)
from modules.firefighter_benefits import rules
from modules.firefighter_benefits.models import Category, Firefighter, Status
from modules.firefighter_benefits.services import CATEGORY_LABELS

log = logging.getLogger(__name__)

COLUMNS = [
    Column("name", _l("Full name"), True),
    Column("resident_id", _l("Resident ID"), True, mask=mask_resident_id),
    Column("category", _l("Personnel category"), True),
    Column("brigade", _l("Brigade"), True),
    Column("station", _l("Station")),
    Column("service_start", _l("Service start date")),
    Column("phone", _l("Phone"), mask=mask_phone),
    Column("address", _l("Address")),
]
LIMITS = {"name": 60, "phone": 20, "address": 200}


def _categories() -> dict[str, Category]:
    """Each category under its code and its Chinese and English names."""
    names = {}
    for category in Category:
        names[category.value] = category
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                names[str(CATEGORY_LABELS[category]).strip()] = category
    return names


def _check_row(number, row, user, today, lookups, errors):
    """One row's values, or None where a cell is bad (noted in `errors`)."""
    categories, departments = lookups
    for key, limit in LIMITS.items():
        if len(row.get(key, "")) > limit:
            errors.add(number, key, _("At most %(n)s characters.", n=limit))
    if not row.get("name"):
        errors.add(number, "name", _("This field is required."))

    resident_id = None
    try:
        resident_id = validate_resident_id(row.get("resident_id", ""))
    except InvalidInput as error:
        errors.add(number, "resident_id", error.errors["resident_id"][0])
    else:
        errors.unique(number, "resident_id", resident_id)

    category = categories.get(row.get("category", ""))
    if category is None:
        errors.add(
            number,
            "category",
            _(
                "Write one of: %(names)s.",
                names="、".join(str(CATEGORY_LABELS[c]) for c in Category),
            ),
        )

    brigade = departments.get(row.get("brigade", ""))
    station = departments.get(row.get("station", "")) if row.get("station") else None
    if brigade is None:
        errors.add(
            number,
            "brigade",
            _("No department “%(value)s” is known.", value=row.get("brigade", "")),
        )
    if row.get("station") and station is None:
        errors.add(
            number,
            "station",
            _("No department “%(value)s” is known.", value=row["station"]),
        )
    elif station is not None and brigade is not None and not station.is_within(brigade):
        errors.add(number, "station", _("The station must lie below the brigade."))
    owner = station or brigade
    if owner is not None and not scoping.can_own(user, owner):
        errors.add(
            number,
            "brigade",
            _("You may only register firefighters of your own brigade or station."),
        )

    service_start = None
    if not row.get("service_start"):
        errors.add(number, "service_start", _("Enter the service start date."))
    else:
        try:
            service_start = parse_date(row["service_start"])
        except ValueError:
            errors.add(
                number,
                "service_start",
                _(
                    "Write the date as 2026-09-28; “%(value)s” is not one.",
                    value=row["service_start"],
                ),
            )
        else:
            if resident_id:
                # Section 1(1) counts service; a start before 16 or in the
                # future is a typing error, not a record.
                problem = rules.check_service_start(
                    service_start, birth_date_of(resident_id), today
                )
                if problem == "in_future":
                    errors.add(
                        number,
                        "service_start",
                        _("The service start date lies in the future."),
                    )
                elif problem == "before_16":
                    errors.add(
                        number,
                        "service_start",
                        _(
                            "The service start date is before the person's 16th "
                            "birthday."
                        ),
                    )
    return resident_id, category, brigade, station, service_start


def import_firefighters(user, department_id, stream) -> int:
    """Register firefighters from XLSX; all rows or none."""
    errors = RowErrors(COLUMNS)
    rows = read_rows(stream, COLUMNS, errors)
    today = today_local()
    lookups = (_categories(), departments_by_name())
    checked = []
    for index, (number, row) in enumerate(rows):
        if index % 1000 == 0:
            report("checking", index, len(rows))
        checked.append(
            (number, row, _check_row(number, row, user, today, lookups, errors))
        )

    taken = existing_values(
        Firefighter.resident_id, [values[0] for _n, _r, values in checked]
    )
    for number, _row, values in checked:
        if values[0] in taken:
            errors.add(
                number, "resident_id", _("This resident ID is registered already.")
            )
    errors.raise_if_any()

    for index, (_number, row, values) in enumerate(checked):
        if index % 1000 == 0:
            report("writing", index, len(checked))
        resident_id, category, brigade, station, service_start = values
        db.session.add(
            Firefighter(
                resident_id=resident_id,
                name=row["name"],
                category=category,
                brigade=brigade,
                station=station,
                service_start=service_start,
                status=Status.SERVING,
                phone=row.get("phone", ""),
                address=row.get("address", ""),
            )
        )
    db.session.flush()
    log.info("%s imported %s firefighters", user.username, len(checked))
    return len(checked)


def registry_importers() -> list[Importer]:
    """The firefighter registry's import, offered on the portal's import pages."""
    return [
        Importer(
            name="firefighter_benefits.firefighters",
            title=_l("Firefighter registry"),
            columns=COLUMNS,
            permission="firefighter_benefits.edit",
            run=import_firefighters,
            needs_department=False,
            example=[
                "李四",
                "430202199001011235",
                "政府专职消防员",
                "株洲市消防救援支队",
                "",
                "2018-07-01",
                "",
                "",
            ],
        )
    ]
