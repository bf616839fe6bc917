"""The API: accident levels, accidents, deductions, bonus points and results."""

import pytest

from modules.safety_assessment import services
from tests.modules.safety_assessment.conftest import EDIT_PERMISSIONS

URL = "/api/v1/safety-assessment"


@pytest.fixture
def county_user(create_user, city):
    return create_user(city["lusong"], EDIT_PERMISSIONS)


@pytest.mark.parametrize(
    ("body", "level"),
    [
        ({"kind": "production", "deaths": 2}, "general"),
        ({"kind": "production", "deaths": 3}, "serious"),
        ({"kind": "production", "serious_injuries": 50}, "major"),
        ({"kind": "production", "direct_loss": "100000000"}, "especially_major"),
        ({"kind": "forest_fire", "burned_area_ha": "1"}, "serious"),
        ({"kind": "forest_fire", "burned_area_ha": "0.99"}, "general"),
    ],
)
def test_accident_level_answers_the_level(api, city_user, body, level):
    response = api(city_user).post(f"{URL}/accident-level", json=body)

    assert response.status_code == 200
    assert response.json == {"level": level}


def test_accident_level_refuses_negative_deaths(api, city_user):
    response = api(city_user).post(
        f"{URL}/accident-level", json={"kind": "production", "deaths": -1}
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "deaths" in response.json["errors"]


def test_accident_level_refuses_an_unknown_kind(api, city_user):
    response = api(city_user).post(f"{URL}/accident-level", json={"kind": "flood"})

    assert response.status_code == 400
    assert "kind" in response.json["errors"]


def test_accident_level_needs_the_view_permission(api, create_user, city):
    user = create_user(city["lusong"])

    response = api(user).post(f"{URL}/accident-level", json={"kind": "production"})

    assert response.status_code == 403


def test_create_accident_derives_the_level(api, county_user, city, create_year):
    create_year()
    unit = services.unit_for_department(city["lusong"])

    response = api(county_user).post(
        f"{URL}/accidents",
        json={
            "kind": "production",
            "occurred_on": "2026-03-01",
            "place": "某化工厂",
            "department_id": city["lusong"].id,
            "deaths": 10,
            "units": [{"unit_id": unit.id}],
            "level": "general",
        },
    )

    assert response.status_code == 400  # "level" is never typed in


def test_create_accident_happy_path(api, county_user, city, create_year, db):
    create_year()
    unit = services.unit_for_department(city["lusong"])
    db.session.commit()

    response = api(county_user).post(
        f"{URL}/accidents",
        json={
            "kind": "production",
            "occurred_on": "2026-03-01",
            "place": "某化工厂",
            "department_id": city["lusong"].id,
            "deaths": 10,
            "units": [{"unit_id": unit.id}],
        },
    )

    assert response.status_code == 201
    assert response.json["level"] == "major"
    assert response.json["assessment_year"] == 2026


def test_create_accident_in_the_future_is_refused(api, county_user, city):
    response = api(county_user).post(
        f"{URL}/accidents",
        json={
            "kind": "production",
            "occurred_on": "2999-01-01",
            "place": "x",
            "department_id": city["lusong"].id,
        },
    )

    assert response.status_code == 400
    assert "occurred_on" in response.json["errors"]


def test_another_countys_accident_is_404(api, county_user, city, create_accident):
    accident = create_accident(city["hetang"], deaths=1)

    response = api(county_user).get(f"{URL}/accidents/{accident.id}")

    assert response.status_code == 404


def test_county_lists_its_own_and_its_townships_accidents(
    api, county_user, city, create_accident
):
    own = create_accident(city["lusong"], deaths=1)
    township = create_accident(city["jianshe"], deaths=1)
    create_accident(city["hetang"], deaths=1)

    response = api(county_user).get(f"{URL}/accidents")

    assert {a["id"] for a in response.json} == {own.id, township.id}


def test_create_deduction_against_another_years_item_is_refused(
    api, county_user, city, create_year
):
    old = create_year(2025)
    create_year(2026)
    unit = services.unit_for_department(city["jianshe"])

    response = api(county_user).post(
        f"{URL}/deductions",
        json={
            "year": 2026,
            "unit_id": unit.id,
            "item_id": old.items[0].id,
            "points": "2",
            "quarter": 1,
            "deducted_on": "2026-03-01",
            "reason": "未落实",
            "evidence": "检查记录",
        },
    )

    assert response.status_code == 400
    assert "item_id" in response.json["errors"]


def test_create_and_list_deductions(api, county_user, city, create_year):
    year = create_year()
    unit = services.unit_for_department(city["jianshe"])
    client = api(county_user)

    created = client.post(
        f"{URL}/deductions",
        json={
            "year": 2026,
            "unit_id": unit.id,
            "item_id": year.items[0].id,
            "points": "2.5",
            "quarter": 1,
            "deducted_on": "2026-03-01",
            "reason": "未落实",
            "evidence": "检查记录",
        },
    )
    listed = client.get(f"{URL}/deductions?year=2026")

    assert created.status_code == 201
    assert [d["points"] for d in listed.json] == ["2.50"]


def test_deduction_for_another_countys_unit_is_404(api, county_user, city, create_year):
    year = create_year()
    unit = services.unit_for_department(city["yuetang"])

    response = api(county_user).post(
        f"{URL}/deductions",
        json={
            "year": 2026,
            "unit_id": unit.id,
            "item_id": year.items[0].id,
            "points": "1",
            "quarter": 1,
            "deducted_on": "2026-03-01",
            "reason": "r",
            "evidence": "e",
        },
    )

    assert response.status_code == 404


def test_bonus_without_decision_is_refused(api, city_user, city, create_year):
    create_year()
    unit = services.unit_for_department(city["lusong"])

    response = api(city_user).post(
        f"{URL}/bonuses",
        json={
            "year": 2026,
            "unit_id": unit.id,
            "points": "2",
            "reason": "抢险",
            "approved": True,
        },
    )

    assert response.status_code == 400
    assert "decision" in response.json["errors"]


def test_bonus_approval(api, city_user, city, create_year):
    create_year()
    unit = services.unit_for_department(city["lusong"])
    client = api(city_user)
    bonus = client.post(
        f"{URL}/bonuses",
        json={"year": 2026, "unit_id": unit.id, "points": "2", "reason": "抢险"},
    ).json

    response = client.post(
        f"{URL}/bonuses/{bonus['id']}/approve",
        json={"decision": "安委会〔2026〕5号", "decided_on": "2026-12-01"},
    )

    assert response.status_code == 200
    assert response.json["status"] == "approved"


def test_year_results_ranked_with_reasons(api, city_user, create_year):
    create_year()

    response = api(city_user).get(f"{URL}/years/2026/results")

    assert response.status_code == 200
    assert response.json["status"] == "open"
    counties = [r for r in response.json["results"] if r["kind"] == "county"]
    assert [r["rank"] for r in counties] == [1, 1]
    assert counties[0]["grade"] == "excellent"
    assert counties[0]["reasons"][0]["text"]


def test_year_results_scoped_for_a_county(api, county_user, create_year):
    create_year()

    response = api(county_user).get(f"{URL}/years/2026/results")

    assert {r["unit"] for r in response.json["results"]} == {"芦淞区", "建设街道"}


def test_year_results_of_an_unknown_year_is_404(api, city_user, create_year):
    create_year()

    assert api(city_user).get(f"{URL}/years/2030/results").status_code == 404


def test_approve_and_publish_year(api, city_user, create_year):
    create_year()
    client = api(city_user)

    approved = client.post(
        f"{URL}/years/2026/approve",
        json={"decision": "安委会〔2027〕1号", "decided_on": "2027-01-20"},
    )
    published = client.post(
        f"{URL}/years/2026/publish", json={"published_on": "2027-02-01"}
    )

    assert approved.json["status"] == "approved"
    assert published.json["status"] == "published"
    assert all(r["final"] for r in published.json["results"])


def test_approve_year_needs_the_approve_permission(api, create_user, city, create_year):
    create_year()
    user = create_user(city["city"], ["safety_assessment.view"])

    response = api(user).post(
        f"{URL}/years/2026/approve", json={"decision": "x", "decided_on": "2027-01-20"}
    )

    assert response.status_code == 403
