"""Demo data of the quality award: a 2026 cycle with applicants at several steps."""

import logging
from datetime import date

from sqlalchemy import select

from core import calendar
from core.demo import DEMO_PASSWORD
from core.directory import create_user, department_by_code, find_or_create_role
from core.extensions import db
from core.models.organisations import Organisation
from modules.quality_award.models import (
    Application,
    CommitteeMember,
    Cycle,
    Objection,
    Reviewer,
    Transition,
)
from modules.quality_award.rules import ApplicantKind, State

log = logging.getLogger(__name__)

P = "quality_award."


def _step(application, action, target, actor, on, opinion=""):
    db.session.add(
        Transition(
            application=application,
            action=action,
            from_state=application.state,
            to_state=target,
            actor_id=actor.id,
            actor_name=actor.username,
            acted_on=on,
            opinion=opinion,
        )
    )
    application.state = target


def load_demo() -> None:
    """Add the committee office, reviewers, a cycle and three applications."""
    if db.session.scalars(select(Cycle)).first() is not None:
        return
    office_dept = department_by_code("scjgj")
    lusong = department_by_code("430203")
    tianyuan = department_by_code("430211")

    office_role = find_or_create_role(
        "qa_office",
        "市长质量奖评委会办公室",
        [P + p for p in ("view", "apply", "office", "personal_data", "county_review")],
        city_wide=True,
    )
    reviewer_role = find_or_create_role(
        "qa_reviewer", "质量奖评审员", [P + "view", P + "review"]
    )
    committee_role = find_or_create_role(
        "qa_committee",
        "质量奖评委会委员",
        [P + "view", P + "committee"],
        city_wide=True,
    )
    county_role = find_or_create_role(
        "qa_county",
        "县区市场监管局（质量奖初审）",
        [P + "view", P + "apply", P + "county_review"],
    )
    office = create_user(
        "qa_office", DEMO_PASSWORD, office_dept, [office_role], "评委会办公室"
    )
    create_user(
        "qa_tianyuan", DEMO_PASSWORD, tianyuan, [county_role], "天元区市场监管局"
    )
    reviewers = [
        create_user(
            f"qa_reviewer{i}", DEMO_PASSWORD, office_dept, [reviewer_role], name
        )
        for i, name in enumerate(("王评审", "李评审", "张评审"), start=1)
    ]
    members = [
        create_user(f"qa_member{i}", DEMO_PASSWORD, office_dept, [committee_role], name)
        for i, name in enumerate(("赵委员", "钱委员", "孙委员"), start=1)
    ]

    cycle = Cycle(
        year=2026,
        title="2026年度株洲市市长质量奖",
        opens_on=date(2026, 3, 1),
        closes_on=date(2026, 12, 31),
    )
    db.session.add(cycle)
    for person, field in zip(reviewers, ("轨道交通", "陶瓷", "食品"), strict=True):
        db.session.add(Reviewer(user=person, expertise=field, employer="湖南工业大学"))
    for person, position in zip(
        members, ("主任委员", "副主任委员", "委员"), strict=True
    ):
        db.session.add(CommitteeMember(cycle=cycle, user=person, position=position))

    organisations = {o.county_id: o for o in db.session.scalars(select(Organisation))}
    rail = organisations.get(tianyuan.id)
    if rail is not None:
        application = Application(
            cycle=cycle,
            kind=ApplicantKind.ORGANISATION,
            state=State.DRAFT,
            organisation=rail,
            department_id=rail.county_id,
            contact_name="陈经理",
            phone="0731-28880000",
            address="株洲市天元区",
            recommended_by="天元区市场监督管理局",
            achievements="轨道交通装备关键部件一次交检合格率99.8%，主导制定行业标准3项。",
            quality_management="卓越绩效管理模式，质量管理体系通过IRIS认证。",
            shares_experience=True,
            operating_since=date(2010, 5, 1),
        )
        db.session.add(application)
        _step(application, "submit", State.SUBMITTED, office, date(2026, 4, 10))
        application.submitted_on = date(2026, 4, 10)
        _step(
            application,
            "county_forward",
            State.PRE_REVIEWED,
            office,
            date(2026, 4, 20),
            "材料齐全，同意推荐。",
        )
        _step(application, "accept", State.ACCEPTED, office, date(2026, 5, 6))
        application.publicised_on = date(2026, 5, 6)
    person = Application(
        cycle=cycle,
        kind=ApplicantKind.INDIVIDUAL,
        state=State.SUBMITTED,
        department_id=lusong.id,
        person_name="刘质量",
        resident_id="430203199001010018",
        employer="株洲某电子有限公司",
        phone="13800000000",
        address="株洲市芦淞区建设路1号",
        contact_name="刘质量",
        achievements="从事质量管理工作20年，推行六西格玛。",
        quality_work_since=date(2004, 7, 1),
        submitted_on=date(2026, 5, 8),
    )
    db.session.add(person)
    db.session.flush()
    db.session.add(
        Objection(
            application=person,
            objector_name="周某",
            objector_contact="13900000000",
            reason="申报材料中的获奖经历与事实不符。",
            evidence="相关证书复印件",
            received_on=date(2026, 9, 30),
            intake_due_on=calendar.add_working_days(date(2026, 9, 30), 5).value,
        )
    )
    db.session.flush()
    log.info("quality award demo data loaded")
