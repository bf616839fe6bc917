"""Fixtures of the quality award tests: people, a cycle and application factories."""

from datetime import date

import pytest
from stdnum.cn import ric

from modules.quality_award import services
from modules.quality_award.models import Cycle, Reviewer

P = "quality_award."


def resident_id(body: str = "43020319900101001") -> str:
    """A valid resident ID number with the given first 17 characters."""
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def qa(db, city, create_user):
    """The award's people: counties, office, reviewers, committee, mayor, finance."""
    people = {
        "lusong": create_user(
            city["lusong"], [P + "view", P + "apply", P + "county_review"]
        ),
        "hetang": create_user(
            city["hetang"], [P + "view", P + "apply", P + "county_review"]
        ),
        "office": create_user(
            city["market"],
            [P + "view", P + "apply", P + "office", P + "personal_data"],
            city_wide=True,
        ),
        "mayor": create_user(city["city"], [P + "view", P + "mayor"]),
        "finance": create_user(city["city"], [P + "view", P + "finance"]),
        "outsider": create_user(city["lusong"], []),
    }
    people["reviewers"] = [
        create_user(city["market"], [P + "view", P + "review"], city_wide=True)
        for _ in range(3)
    ]
    people["members"] = [
        create_user(city["city"], [P + "view", P + "committee"]) for _ in range(3)
    ]
    cycle = Cycle(
        year=2026,
        title="2026年度市长质量奖",
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
    )
    db.session.add(cycle)
    for person in people["reviewers"]:
        db.session.add(Reviewer(user=person, expertise="质量管理"))
    db.session.commit()
    for member in people["members"]:
        services.add_committee_member(people["office"], cycle.id, member.id, "委员")
    people["cycle"] = cycle
    people["city"] = city
    people["pool"] = list(db.session.query(Reviewer).order_by(Reviewer.id))
    return people


@pytest.fixture
def org_data():
    """Form data of a sound organisation application (without organisation id)."""

    def make(qa, organisation, **overrides):
        data = {
            "cycle_id": qa["cycle"].id,
            "kind": "organisation",
            "organisation_id": organisation.id,
            "contact_name": "陈经理",
            "phone": "13812345678",
            "address": "株洲市芦淞区建设路1号",
            "achievements": "产品一次交检合格率99.8%。",
            "quality_management": "卓越绩效管理模式。",
            "operating_since": date(2010, 1, 1),
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def create_application(qa, create_organisation, org_data):
    """Factory: create_application(county="lusong", **form) -> draft Application."""

    def make(county="lusong", kind="organisation", **overrides):
        if kind == "organisation":
            organisation = overrides.pop("organisation", None) or create_organisation(
                qa["city"][county]
            )
            data = org_data(qa, organisation, **overrides)
        else:
            data = {
                "cycle_id": qa["cycle"].id,
                "kind": "individual",
                "person_name": "刘质量",
                "resident_id": resident_id(),
                "department_id": qa["city"][county].id,
                "phone": "13812345678",
                "address": "株洲市芦淞区建设路1号",
                "contact_name": "刘质量",
                "achievements": "从事质量工作20年。",
                "quality_work_since": date(2004, 7, 1),
            }
            data.update(overrides)
        return services.create_application(qa[county], data)

    return make


STEPS = {
    "submitted": [("submit", "lusong", "")],
    "pre_reviewed": [("county_forward", "lusong", "同意推荐")],
    "accepted": [("accept", "office", "")],
}


@pytest.fixture
def advance(qa):
    """Factory: advance(application, through) runs the early steps in order."""

    def run(application, through="accepted", on=date(2026, 6, 15)):
        for state, steps in STEPS.items():
            for action, who, opinion in steps:
                owner = (
                    qa["hetang"]
                    if application.department_id == qa["city"]["hetang"].id
                    and who == "lusong"
                    else qa[who]
                )
                services.take_step(owner, application.id, action, opinion, on)
            if state == through:
                break
        return application

    return run
