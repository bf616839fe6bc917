"""Demo data: fire stations below the brigade, firefighters, families, venues."""

import logging
from datetime import date, timedelta

from sqlalchemy import select
from stdnum.cn import ric

from core.directory import (
    create_department,
    create_user,
    department_by_code,
    find_or_create_role,
)
from core.extensions import db
from core.models.departments import DepartmentKind
from core.timeutil import today_local
from modules.firefighter_benefits import services
from modules.firefighter_benefits.models import (
    Firefighter,
    Venue,
    VerificationCount,
)

log = logging.getLogger(__name__)

STATIONS = {
    "xfzd-ht": "荷塘消防救援站",
    "xfzd-ls": "芦淞消防救援站",
    "xfzd-ty": "天元消防救援站",
}

# name, category, station code, service start, birth date, family
FIREFIGHTERS = [
    (
        "李振华",
        "establishment",
        "xfzd-ht",
        date(2012, 9, 1),
        date(1990, 3, 14),
        [("spouse", "王丽", date(1991, 6, 2)), ("child", "李晨", date(2020, 5, 10))],
    ),
    (
        "张磊",
        "full_time",
        "xfzd-ls",
        date(2023, 7, 1),
        date(1998, 11, 3),
        [("child", "张小雨", date(2014, 2, 20))],
    ),
    ("陈思远", "full_time", "xfzd-ty", date(2025, 3, 15), date(2000, 1, 9), []),
    (
        "刘芳",
        "civilian_staff",
        None,
        date(2021, 4, 1),
        date(1995, 8, 30),
        [("child", "周可", date(2020, 7, 7))],
    ),
    ("赵刚", "establishment", "xfzd-ls", date(2026, 2, 1), date(2001, 5, 5), []),
    (
        "黄明",
        "full_time",
        "xfzd-ht",
        date(2022, 2, 28),
        date(1997, 12, 12),
        [("child", "黄嘉", date(2014, 8, 31))],
    ),
]

ENROLLMENT_YEAR = 2026

# Monthly checks, latest month first: transit, venue, priority, refused.
CHECKS = [(412, 37, 58, 6), (389, 52, 61, 4), (405, 44, 49, 9), (371, 29, 55, 3)]

VENUES = [
    ("ZZBWG", "株洲市博物馆", "museum", "free", "", "430211"),
    ("SNGY", "神农公园", "park", "free", "", "430211"),
    ("ZZGHZLG", "株洲规划展览馆", "exhibition_hall", "free", "", "430211"),
    (
        "YDL",
        "炎帝陵",
        "scenic_spot",
        "military_rate",
        "门票五折（现役军人同等）",
        "430225",
    ),
]


def resident_id(area: str, born: date, serial: int) -> str:
    """A resident ID number with a correct check digit."""
    body = f"{area}{born:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def load_demo() -> None:
    """Add stations, firefighters with families and credentials, and venues."""
    brigade = department_by_code("xfzd")
    if brigade is None or db.session.scalar(select(Firefighter.id).limit(1)):
        return
    services.seed_rules()
    stations = {
        code: department_by_code(code)
        or create_department(code, name, DepartmentKind.RESIDENT_UNIT, brigade)
        for code, name in STATIONS.items()
    }
    political = find_or_create_role(
        "xfzd_political",
        "消防救援支队政治部门",
        [
            "firefighter_benefits.view",
            "firefighter_benefits.edit",
            "firefighter_benefits.confirm_enrollment",
            "firefighter_benefits.personal_data",
        ],
    )
    political_user = create_user(
        "xfzd", "zhuzhou-demo-2026", brigade, [political], "支队政治处"
    )
    device = find_or_create_role(
        "verification_device", "核验终端", ["firefighter_benefits.verify"]
    )
    create_user(
        "gate-transit",
        "zhuzhou-demo-2026",
        department_by_code("jtysj"),
        [device],
        "公交闸机",
    )
    db.session.commit()

    for n, (name, category, station, start, born, family) in enumerate(
        FIREFIGHTERS, start=1
    ):
        firefighter = services.register_firefighter(
            {
                "resident_id": resident_id("430202", born, n * 2 + 1),
                "name": name,
                "category": category,
                "brigade_id": brigade.id,
                "station_id": stations[station].id if station else None,
                "service_start": start,
                "phone": f"1397331{n:04d}",
                "address": "株洲市荷塘区新华西路",
            },
            None,
        )
        for m, (relation, relative, relative_born) in enumerate(family, start=1):
            services.add_family_member(
                firefighter,
                {
                    "relation": relation,
                    "name": relative,
                    "resident_id": resident_id("430203", relative_born, n * 10 + m),
                },
            )
        services.issue_credential(
            firefighter, f"XF2025{n:04d}", date(2025, 1, 1), date(2028, 12, 31)
        )
    for code, name, kind, treatment, note, county in VENUES:
        db.session.add(
            Venue(
                code=code,
                name=name,
                kind=kind,
                treatment=treatment,
                military_rate_note=note,
                department=department_by_code(county),
            )
        )
    db.session.commit()

    # The 2026 school list, filled in early March and confirmed by the
    # political department, so its printed confirmation can be shown.
    school_list = services.enrollment_list(brigade, ENROLLMENT_YEAR)
    if services.fill_enrollment_list(school_list, date(ENROLLMENT_YEAR, 3, 2)):
        services.confirm_list(school_list, political_user)
    add_check_counts(today_local())
    log.info("firefighter benefits demo data loaded")


def add_check_counts(today: date) -> None:
    """Checks made at gates and desks over the past months, for the charts."""
    for months_ago, (transit, venue, priority, refused) in enumerate(CHECKS):
        day = today - timedelta(days=30 * months_ago + 3)
        for benefit, venue_kind, eligible, reason, count in (
            ("transit", "", True, "eligible", transit),
            ("venue", "museum", True, "eligible", venue),
            ("priority_service", "", True, "eligible", priority),
            ("transit", "", False, "expired", refused),
        ):
            db.session.add(
                VerificationCount(
                    day=day,
                    benefit=benefit,
                    venue_kind=venue_kind,
                    eligible=eligible,
                    reason=reason,
                    count=count,
                )
            )
    db.session.commit()
