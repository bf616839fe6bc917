"""Portal pages render for authorised users and keep to their scope."""

from datetime import date

import pytest

from modules.safety_assessment import services
from tests.modules.safety_assessment.conftest import EDIT_PERMISSIONS

PAGES = [
    "results",
    "years",
    "items",
    "units",
    "assessments",
    "accidents",
    "deductions",
    "bonuses",
    "prewarnings",
    "sanctions",
    "self_reports",
    "spot_checks",
    "messages",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_for_a_city_user(client, login, city_user, create_year, page):
    create_year()
    login(city_user)

    response = client.get(f"/admin/safety_assessment_{page}/")

    assert response.status_code == 200


def test_accident_form_renders(client, login, city_user):
    login(city_user)

    assert client.get("/admin/safety_assessment_accidents/new/").status_code == 200


def test_accident_list_is_scoped_to_the_county(
    client, login, create_user, city, create_accident
):
    create_accident(city["lusong"], place="芦淞某厂")
    create_accident(city["hetang"], place="荷塘某厂")
    login(create_user(city["lusong"], EDIT_PERMISSIONS))

    page = client.get("/admin/safety_assessment_accidents/").get_data(as_text=True)

    assert "芦淞某厂" in page
    assert "荷塘某厂" not in page


def test_results_page_without_permission_redirects(client, login, create_user, city):
    login(create_user(city["lusong"]))

    assert client.get("/admin/safety_assessment_results/").status_code == 302


def test_results_approve_and_notice(client, login, city_user, city, create_year):
    year = create_year()
    record = services.assessment_of(services.unit_for_department(city["lusong"]), year)
    login(city_user)

    client.post(
        "/admin/safety_assessment_results/2026/approve",
        data={"decision": "安委会〔2027〕1号", "decided_on": "2027-01-20"},
    )
    page = client.get(f"/admin/safety_assessment_results/notice/{record.id}")

    assert services.get_year(2026).approved_on == date(2027, 1, 20)
    assert page.status_code == 200
    assert "安委会〔2027〕1号" in page.get_data(as_text=True)


def test_notice_of_another_county_is_refused(
    client, login, create_user, city, create_year
):
    year = create_year()
    record = services.assessment_of(services.unit_for_department(city["hetang"]), year)
    services.approve_results(year, "决定", date(2027, 1, 20))
    login(create_user(city["lusong"], EDIT_PERMISSIONS))

    response = client.get(f"/admin/safety_assessment_results/notice/{record.id}")

    assert response.status_code == 404


def test_accident_form_derives_the_level_and_raises_a_pre_veto(
    client, login, city_user, city, create_year, db
):
    from sqlalchemy import select

    from modules.safety_assessment.models import Accident, PreWarning

    create_year()
    township = services.unit_for_department(city["jianshe"])
    db.session.commit()
    login(city_user)

    client.post(
        "/admin/safety_assessment_accidents/new/",
        data={
            "kind": "production",
            "occurred_on": "2026-05-01",
            "place": "某仓库",
            "department": str(city["jianshe"].id),
            "deaths": "4",
            "serious_injuries": "0",
            "direct_loss": "0",
            "burned_area_ha": "0",
            "liability": "y",
            "units": [str(township.id)],
        },
    )

    accident = db.session.scalars(select(Accident)).one()
    assert accident.level.value == "serious"
    assert db.session.scalars(select(PreWarning)).one().kind.value == "pre_veto"


def test_accident_form_in_the_future_writes_nothing(client, login, city_user, city, db):
    from sqlalchemy import func, select

    from modules.safety_assessment.models import Accident

    login(city_user)

    client.post(
        "/admin/safety_assessment_accidents/new/",
        data={
            "kind": "production",
            "occurred_on": "2999-05-01",
            "place": "某仓库",
            "department": str(city["lusong"].id),
            "deaths": "0",
            "serious_injuries": "0",
            "direct_loss": "0",
            "burned_area_ha": "0",
        },
    )

    assert db.session.scalar(select(func.count()).select_from(Accident)) == 0


def test_bonus_approval_from_the_list(client, login, city_user, city, create_year, db):
    year = create_year()
    record = services.assessment_of(services.unit_for_department(city["lusong"]), year)
    bonus = services.propose_bonus(record, 2, "抢险救援")
    db.session.commit()
    login(city_user)

    client.post(
        f"/admin/safety_assessment_bonuses/approve/{bonus.id}",
        data={"decision": "安委会〔2026〕3号", "decided_on": "2026-12-01"},
    )

    db.session.refresh(bonus)
    assert bonus.status == "approved"
