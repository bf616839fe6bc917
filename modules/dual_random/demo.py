"""Demo records: an item list, both registries, a plan and a drawn task."""

import logging
from datetime import date
from decimal import Decimal

from core.context import Actor, acting_as
from core.directory import department_by_code
from core.extensions import db
from modules.dual_random import services
from modules.dual_random.models import Method, PlanKind, RiskLevel

log = logging.getLogger(__name__)

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周强", "吴婷"]
SHOPS = ["便利店", "餐饮店", "药店", "五金店", "加油站", "超市", "农资店", "眼镜店"]


class _Everyone:
    """The demo loader acts with city-wide rights."""

    is_authenticated = True
    is_superuser = True
    roles = ()

    def can(self, permission):
        return True


def load_demo() -> None:
    """Add the demo records."""
    market = department_by_code("scjgj")
    safety = department_by_code("yjglj")
    counties = [department_by_code(c) for c in ("430203", "430202", "430211")]
    if market is None or safety is None or None in counties:
        log.warning("core demo departments missing; dual_random demo skipped")
        return
    user = _Everyone()
    with acting_as(Actor(kind="cli", name="demo")):
        food = services.save_check_item(
            user,
            {
                "department_id": market.id,
                "item": "食品经营检查",
                "sub_item": "食品经营许可及从业人员健康证明",
                "legal_basis": "《中华人民共和国食品安全法》第三十五条",
                "inspecting_body": "市市场监督管理局",
                "target_type": "食品经营者",
                "sampling_ratio": Decimal("0.05"),
                "frequency_per_year": 1,
                "method": Method.ON_SITE,
                "qualification": "food",
                "is_key": True,
            },
        )
        services.save_check_item(
            user,
            {
                "department_id": market.id,
                "item": "价格行为检查",
                "sampling_ratio": Decimal("0.03"),
                "method": Method.DOCUMENTARY,
                "qualification": "price",
            },
        )
        fire = services.save_check_item(
            user,
            {
                "department_id": safety.id,
                "item": "安全生产检查",
                "sub_item": "安全生产责任制落实情况",
                "legal_basis": "《中华人民共和国安全生产法》",
                "sampling_ratio": Decimal("0.05"),
                "method": Method.ON_SITE,
                "qualification": "safety",
            },
        )
        n = 0
        for county in counties:
            for shop in SHOPS:
                n += 1
                services.create_target(
                    user,
                    {
                        "department_id": market.id,
                        "name": f"株洲{county.name}{shop}{n}号",
                        "target_type": "食品经营者",
                        "industry": shop,
                        "county_id": county.id,
                        "address": f"株洲市{county.name}人民路{n}号",
                        "risk_level": list(RiskLevel)[n % 3],
                        "credit_rating": "AB"[n % 2],
                    },
                )
        for department, qualification, prefix in (
            (market, "food,price", "SJ"),
            (safety, "safety", "YJ"),
        ):
            for i, name in enumerate(NAMES[:5] if prefix == "SJ" else NAMES[5:]):
                services.create_inspector(
                    user,
                    {
                        "department_id": department.id,
                        "name": name,
                        "certificate_no": f"43020{prefix}{i:04d}",
                        "qualifications": qualification,
                    },
                )
        plan = services.create_plan(
            user,
            {
                "department_id": market.id,
                "kind": PlanKind.JOINT,
                "year": 2026,
                "title": "株洲市2026年度部门联合抽查工作计划",
                "content": "市场监管、应急管理部门联合开展食品经营和安全生产抽查。",
                "filed_with_id": None,
            },
        )
        services.approve_plan(user, plan.id, date(2026, 1, 20))
        task = services.create_task(
            user,
            {
                "department_id": market.id,
                "title": "2026年食品经营单位联合抽查",
                "plan_id": plan.id,
                "item_ids": [food.id, fire.id],
                "participant_ids": [safety.id],
                "sample_ratio": Decimal("0.2"),
                "stratify_by": "county",
            },
        )
        services.draw_targets(user, task.id)
        services.match_inspectors(user, task.id)
        db.session.commit()
    log.info("dual_random demo loaded")
