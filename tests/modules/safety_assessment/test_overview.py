"""The overview page: its charts hold the user's scope and their labels."""

import html
import json
import re

from modules.safety_assessment import overview
from tests.modules.safety_assessment.conftest import EDIT_PERMISSIONS

URL = "/admin/safety_assessment-overview/"


def _charts(page: str) -> list[dict]:
    found = re.findall(r'data-chart="([^"]*)"', page)
    return [json.loads(html.unescape(data)) for data in found]


def test_overview_renders_both_charts_for_a_city_user(
    client, login, city_user, create_year, create_accident, city
):
    create_year()
    create_accident(city["lusong"], place="芦淞某厂")
    login(city_user)

    response = client.get(URL)

    charts = _charts(response.get_data(as_text=True))
    assert response.status_code == 200
    assert [c["title"]["text"] for c in charts] == [
        "2026 年各县市区考核得分",
        "2026 年各月事故起数",
    ]
    assert {"芦淞区", "荷塘区"} <= set(charts[0]["xAxis"]["data"])
    assert charts[1]["xAxis"]["data"][4] == "5月"


def test_overview_counts_accidents_by_kind_and_month(
    client, login, city_user, create_year, create_accident, city
):
    create_year()
    create_accident(city["lusong"])
    create_accident(city["hetang"])
    login(city_user)

    charts = _charts(client.get(URL).get_data(as_text=True))

    production = next(s for s in charts[1]["series"] if s["name"] == "生产安全事故")
    assert production["data"] == [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]


def test_overview_of_a_county_holds_only_its_own(
    client, login, create_user, create_year, create_accident, city
):
    create_year()
    create_accident(city["lusong"])
    create_accident(city["hetang"])
    login(create_user(city["lusong"], EDIT_PERMISSIONS))

    charts = _charts(client.get(URL).get_data(as_text=True))

    assert charts[0]["xAxis"]["data"] == ["芦淞区"]
    assert sum(sum(s["data"]) for s in charts[1]["series"]) == 1


def test_overview_without_permission_redirects(client, login, create_user, city):
    login(create_user(city["lusong"]))

    assert client.get(URL).status_code == 302


def test_overview_without_a_year_says_so(client, login, city_user):
    login(city_user)

    page = client.get(URL).get_data(as_text=True)

    assert "data-chart" not in page


def test_overview_is_first_in_the_menu(client, login, city_user, create_year):
    create_year()
    login(city_user)

    page = client.get(URL).get_data(as_text=True)

    assert page.index(URL) < page.index("/admin/safety_assessment_results/")


def test_accidents_by_month_leaves_other_years_out(
    app, city_user, create_year, create_accident, city
):
    from datetime import date

    create_year()
    create_accident(city["lusong"], occurred_on=date(2025, 5, 1))

    counts = overview.accidents_by_month(2026, city_user)

    assert sum(sum(values) for values in counts.values()) == 0
