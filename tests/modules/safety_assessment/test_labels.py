"""Lists, details and exports show Chinese labels and yuan, never raw codes."""

import html
import io
import json
import re
from decimal import Decimal

from openpyxl import load_workbook

from modules.safety_assessment import services


def _export(client, page: str) -> list[tuple]:
    response = client.get(f"/admin/safety_assessment_{page}/export/xlsx/")
    return list(
        load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
    )


def test_accident_list_shows_labels_and_yuan(
    client, login, city_user, city, create_accident
):
    create_accident(city["lusong"], deaths=3, direct_loss=Decimal("4200000"))
    login(city_user)

    page = client.get("/admin/safety_assessment_accidents/").get_data(as_text=True)

    assert "生产安全事故" in page
    assert "较大事故" in page
    assert "4,200,000.00" in page
    assert ">serious<" not in page


def test_accident_export_shows_labels_and_yuan(
    client, login, city_user, city, create_accident
):
    create_accident(city["lusong"], deaths=3, direct_loss=Decimal("4200000"))
    login(city_user)

    rows = _export(client, "accidents")

    data = [cell for row in rows for cell in row]
    assert "较大事故" in data
    assert "4,200,000.00" in data
    assert "serious" not in data


def test_accident_filter_offers_labels(client, login, city_user):
    login(city_user)

    page = client.get("/admin/safety_assessment_accidents/").get_data(as_text=True)

    data = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S)
    groups = json.loads(html.unescape(data.group(1)))
    assert ["serious", "较大事故"] in groups["事故等级"][0]["options"]


def test_year_list_shows_the_status_label(client, login, city_user, create_year):
    create_year()
    login(city_user)

    page = client.get("/admin/safety_assessment_years/").get_data(as_text=True)

    assert "考核中" in page


def test_bonus_list_shows_the_status_label(
    client, login, city_user, city, create_year, db
):
    year = create_year()
    record = services.assessment_of(services.unit_for_department(city["lusong"]), year)
    services.propose_bonus(record, 2, "抢险救援")
    db.session.commit()
    login(city_user)

    page = client.get("/admin/safety_assessment_bonuses/").get_data(as_text=True)

    assert "待审定" in page


def test_message_list_shows_the_topic_label(
    client, login, city_user, city, create_year, create_accident
):
    create_year()
    township = services.unit_for_department(city["jianshe"])
    create_accident(city["jianshe"], units=[township], deaths=4)
    login(city_user)

    page = client.get("/admin/safety_assessment_messages/").get_data(as_text=True)

    assert "预警告通知" in page


def test_prewarning_details_show_the_reasons(
    client, login, city_user, city, create_year, create_accident, db
):
    from sqlalchemy import select

    from modules.safety_assessment.models import PreWarning

    create_year()
    township = services.unit_for_department(city["jianshe"])
    create_accident(city["jianshe"], units=[township], deaths=4)
    notice = db.session.scalars(select(PreWarning)).first()
    login(city_user)

    page = client.get(
        f"/admin/safety_assessment_prewarnings/details/?id={notice.id}"
    ).get_data(as_text=True)

    assert "一票否决预否决" in page
    assert "'code'" not in page


def test_export_says_yes_or_no(client, login, city_user, create_year, city, db):
    services.unit_for_department(city["lusong"])
    db.session.commit()
    login(city_user)

    rows = _export(client, "units")

    assert "是" in [cell for row in rows for cell in row]
