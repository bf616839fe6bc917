"""Demo data: Zhuzhou's real county-level divisions, townships and city departments."""

import logging
from datetime import date

from flask import current_app
from sqlalchemy import select

from core.directory import (
    add_credit_record,
    create_department,
    create_organisation,
    create_user,
    find_or_create_role,
)
from core.extensions import db
from core.models.departments import Department, DepartmentKind
from core.models.organisations import CreditKind
from core.models.users import User

log = logging.getLogger(__name__)

DEMO_PASSWORD = "zhuzhou-demo-2026"

# The city's nine county-level divisions, with two townships or sub-districts each.
COUNTIES = {
    "430202": ("荷塘区", ["月塘街道", "茨菇塘街道"]),
    "430203": ("芦淞区", ["建设街道", "建宁街道"]),
    "430204": ("石峰区", ["清水塘街道", "响石岭街道"]),
    "430211": ("天元区", ["嵩山路街道", "泰山路街道"]),
    "430212": ("渌口区", ["渌口镇", "南洲镇"]),
    "430281": ("醴陵市", ["阳三石街道", "来龙门街道"]),
    "430223": ("攸县", ["联星街道", "江桥街道"]),
    "430224": ("茶陵县", ["云阳街道", "思聪街道"]),
    "430225": ("炎陵县", ["霞阳镇", "沔渡镇"]),
}

CITY_DEPARTMENTS = {
    "scjgj": "市市场监督管理局",
    "fgw": "市发展和改革委员会",
    "zrzyj": "市自然资源和规划局",
    "zjj": "市住房和城乡建设局",
    "spj": "市行政审批服务局",
    "czj": "市财政局",
    "yjglj": "市应急管理局",
    "jyj": "市教育局",
    "gaj": "市公安局",
    "jtysj": "市交通运输局",
    "sjzyj": "市数据资源管理局",
    "lyj": "市林业局",
    "cgj": "市城市管理和综合执法局",
}

RESIDENT_UNITS = {
    "xfzd": "株洲市消防救援支队",
    "zzsw": "国网株洲供电公司",
}

# Real-looking organisations with valid unified social credit codes.
ORGANISATIONS = [
    ("株洲示范轨道交通装备有限公司", "91430200MA4L16HE8F", "430211", "轨道交通装备"),
    ("醴陵示范陶瓷有限公司", "91430281MA4PQK3C2F", "430281", "陶瓷"),
    ("攸县示范食品有限公司", "91430223MA4QW8D91K", "430223", "食品"),
]


def _uscc_with_check_digit(body: str) -> str:
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


def load_core_demo() -> bool:
    """Add the department tree, demo users and organisations; False if present."""
    if db.session.scalars(select(User).where(User.username == "admin")).first():
        return False
    if current_app.config["ENV_NAME"] == "production":
        raise RuntimeError("demo data is never loaded in production")

    city = create_department(
        "430200", "株洲市", DepartmentKind.CITY, emails="office@zhuzhou.gov.cn"
    )
    counties = {}
    for code, (name, townships) in COUNTIES.items():
        county = create_department(
            code,
            name,
            DepartmentKind.COUNTY,
            city,
            emails=f"office-{code}@zhuzhou.gov.cn",
        )
        counties[code] = county
        for i, township in enumerate(townships, start=1):
            create_department(
                f"{code}{i:03d}", township, DepartmentKind.TOWNSHIP, county
            )
    for code, name in CITY_DEPARTMENTS.items():
        create_department(
            code,
            name,
            DepartmentKind.CITY_DEPARTMENT,
            city,
            emails=f"{code}@zhuzhou.gov.cn",
        )
    for code, name in RESIDENT_UNITS.items():
        create_department(code, name, DepartmentKind.RESIDENT_UNIT, city)

    registry = current_app.extensions["registry"]
    every = list(registry.all_permissions())
    superuser = find_or_create_role("superuser", "系统管理员", [], superuser=True)
    staff = find_or_create_role(
        "county_staff",
        "县区工作人员",
        [p for p in every if p.endswith(".view") or p.endswith(".edit")],
    )
    create_user("admin", DEMO_PASSWORD, city, [superuser], "系统管理员")
    create_user("lusong", DEMO_PASSWORD, counties["430203"], [staff], "芦淞区工作人员")
    create_user("hetang", DEMO_PASSWORD, counties["430202"], [staff], "荷塘区工作人员")

    organisations = []
    for name, code, county_code, industry in ORGANISATIONS:
        organisations.append(
            create_organisation(
                name,
                _uscc_with_check_digit(code[:17]),
                counties[county_code],
                industry=industry,
                address=f"株洲市{COUNTIES[county_code][0]}",
                founded_on=date(2010, 5, 1),
            )
        )
    regulator = db.session.scalars(
        select(Department).where(Department.code == "scjgj")
    ).one()
    add_credit_record(
        organisations[0],
        CreditKind.RED_LIST,
        "2025年度守信激励对象",
        date(2025, 6, 1),
        regulator,
        "core",
    )
    db.session.flush()
    log.info("core demo data loaded")
    return True


def load_demo() -> None:
    """Core demo data, then each enabled module's."""
    from core.context import Actor, acting_as

    with acting_as(Actor(kind="cli", name="demo")):
        created = load_core_demo()
        if created:
            for module in current_app.extensions["registry"]:
                module.load_demo()
        db.session.commit()
