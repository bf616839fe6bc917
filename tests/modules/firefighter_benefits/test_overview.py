"""The overview charts, the credential check page, the printed school list and
the translated labels of the list views."""

import html
import io
import json
import re
from datetime import date

from pypdf import PdfReader

from modules.firefighter_benefits import overview, services
from tests.modules.firefighter_benefits.conftest import ALL_PERMISSIONS

ADMIN = "/admin/firefighter_benefits"
OVERVIEW = "/admin/firefighter_benefits-overview/"


def _charts(page_text: str) -> list[dict]:
    return [
        json.loads(html.unescape(data))
        for data in re.findall(r'data-chart="([^"]*)"', page_text)
    ]


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Table cells wrap long numbers over lines; the words matter, not the breaks.
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def test_overview_renders_serving_chart(
    client, login, create_user, fire, create_firefighter
):
    create_firefighter("full_time", station="station")
    create_firefighter("establishment", station="station2")
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    page = client.get(OVERVIEW)

    serving = _charts(page.get_data(as_text=True))[0]
    assert page.status_code == 200
    assert serving["xAxis"]["data"] == ["芦淞消防救援站", "荷塘消防救援站"]
    assert [s["name"] for s in serving["series"]] == [
        "行政编制",
        "政府专职消防员",
        "消防文员",
    ]
    assert serving["series"][1]["data"] == [0, 1]


def test_overview_scoped_to_station(
    client, login, create_user, fire, create_firefighter
):
    create_firefighter(station="station")
    create_firefighter(station="station2")
    login(create_user(fire["station2"], ALL_PERMISSIONS))

    serving = _charts(client.get(OVERVIEW).get_data(as_text=True))[0]

    assert serving["xAxis"]["data"] == ["芦淞消防救援站"]


def test_overview_leaves_out_those_who_left(
    client, login, create_user, fire, create_firefighter
):
    services.change_status(create_firefighter(), "left", date(2026, 5, 1))
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    serving = _charts(client.get(OVERVIEW).get_data(as_text=True))[0]

    assert serving["xAxis"]["data"] == []


def test_overview_forbidden_without_view(client, login, create_user, fire):
    login(create_user(fire["brigade"], ["firefighter_benefits.verify"]))

    page = client.get(OVERVIEW)

    assert page.status_code in (302, 403)


def test_checks_chart_counts_by_benefit(
    app, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter(service_start=date(2020, 1, 1)))
    today = date(2026, 6, 15)
    services.verify("transit", number=credential.number, on=today)
    services.verify("transit", number="NO-SUCH", on=today)
    services.verify("priority_service", number=credential.number, on=today)

    chart = overview.checks_chart(today)

    assert chart.labels[:2] == ["车站、医院、银行优先", "免费乘坐市内公共交通"]
    assert chart.series["符合"][:2] == [1, 1]
    assert chart.series["不符合"][:2] == [0, 1]


def test_checks_chart_leaves_out_checks_older_than_a_year(
    app, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter(service_start=date(2020, 1, 1)))
    services.verify("transit", number=credential.number, on=date(2025, 6, 15))
    services.verify("transit", number=credential.number, on=date(2025, 6, 16))

    chart = overview.checks_chart(date(2026, 6, 15))

    assert chart.series["符合"][1] == 1


def test_check_page_answers_eligible(
    client, login, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter(service_start=date(2020, 1, 1)))
    login(create_user(fire["city"], ["firefighter_benefits.verify"]))

    page = client.post(
        f"{ADMIN}/check/", data={"benefit": "transit", "number": credential.number}
    )

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="alert alert-success"' in text
    assert "王**" in text


def test_check_page_answers_revoked(
    client, login, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter(service_start=date(2020, 1, 1)))
    services.revoke_credential(credential, "遗失", date(2026, 1, 5))
    login(create_user(fire["city"], ["firefighter_benefits.verify"]))

    page = client.post(
        f"{ADMIN}/check/", data={"benefit": "transit", "number": credential.number}
    )

    text = page.get_data(as_text=True)
    assert 'class="alert alert-danger"' in text
    assert "证件已注销" in text


def test_check_page_without_number_counts_nothing(client, login, create_user, fire):
    login(create_user(fire["city"], ["firefighter_benefits.verify"]))

    page = client.post(f"{ADMIN}/check/", data={"benefit": "transit"})

    assert "check-answer" not in page.get_data(as_text=True)
    assert services.counter.take() == {}


def test_check_page_forbidden_without_verify(client, login, create_user, fire):
    login(create_user(fire["brigade"], ["firefighter_benefits.view"]))

    page = client.get(f"{ADMIN}/check/")

    assert page.status_code in (302, 403)


def _confirmed_list(fire, create_firefighter, create_child, confirmer):
    child = create_child(
        create_firefighter("establishment", name="李振华"),
        born=date(2020, 5, 10),
        name="李晨",
    )
    entry = services.add_to_enrollment(child, 2026, date(2026, 3, 2), confirmer)
    services.confirm_list(entry.enrollment_list, confirmer)
    return entry.enrollment_list, child


def test_school_list_pdf_has_the_confirmation(
    client, login, create_user, fire, create_firefighter, create_child
):
    user = create_user(fire["brigade"], ALL_PERMISSIONS, username="political")
    the_list, child = _confirmed_list(fire, create_firefighter, create_child, user)
    login(user)

    download = client.get(f"{ADMIN}/enrollment/{the_list.id}/pdf")

    text = _pdf_text(download.data)
    assert download.mimetype == "application/pdf"
    assert "消防救援人员子女入学适龄人员名单" in text
    assert "李晨" in text
    assert "李振华" in text
    assert "小学" in text
    assert "株洲市消防救援支队政治部门" in text
    assert "2020年5月10日" in text


def test_school_list_pdf_masks_ids_without_personal_data(
    client, login, create_user, fire, create_firefighter, create_child
):
    user = create_user(fire["brigade"], ALL_PERMISSIONS)
    the_list, child = _confirmed_list(fire, create_firefighter, create_child, user)
    login(user)

    text = _pdf_text(client.get(f"{ADMIN}/enrollment/{the_list.id}/pdf").data)

    assert child.resident_id not in text
    assert child.resident_id[:6] in text


def test_school_list_pdf_shows_ids_with_personal_data(
    client, login, create_user, fire, create_firefighter, create_child
):
    user = create_user(
        fire["brigade"], [*ALL_PERMISSIONS, "firefighter_benefits.personal_data"]
    )
    the_list, child = _confirmed_list(fire, create_firefighter, create_child, user)
    login(user)

    text = _pdf_text(client.get(f"{ADMIN}/enrollment/{the_list.id}/pdf").data)

    assert child.resident_id in text


def test_school_list_pdf_refused_for_a_draft(
    client, login, create_user, fire, create_firefighter, create_child
):
    user = create_user(fire["brigade"], ALL_PERMISSIONS)
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    entry = services.add_to_enrollment(child, 2026, date(2026, 3, 2), user)
    login(user)

    download = client.get(f"{ADMIN}/enrollment/{entry.list_id}/pdf")

    assert download.status_code == 302
    assert download.mimetype != "application/pdf"


def test_school_list_pdf_of_another_brigade_not_served(
    client, login, create_user, fire, create_firefighter, create_child
):
    user = create_user(fire["brigade"], ALL_PERMISSIONS)
    the_list, _child = _confirmed_list(fire, create_firefighter, create_child, user)
    login(create_user(fire["other_brigade"], ALL_PERMISSIONS))

    download = client.get(f"{ADMIN}/enrollment/{the_list.id}/pdf")

    assert download.status_code in (302, 404)
    assert download.mimetype != "application/pdf"


def test_firefighter_list_shows_category_labels(
    client, login, create_user, fire, create_firefighter
):
    create_firefighter("full_time")
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    text = client.get(f"{ADMIN}/firefighters/").get_data(as_text=True)

    assert "政府专职消防员" in text
    assert "在职" in text


def test_insurance_list_shows_yuan_and_kind(
    client, login, create_user, fire, create_firefighter, db
):
    from modules.firefighter_benefits.models import InsurancePolicy

    db.session.add(
        InsurancePolicy(
            firefighter_id=create_firefighter().id,
            kind="accident",
            insurer="中国人寿株洲分公司",
            policy_number="P-1",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            premium_fen=123456789,
        )
    )
    db.session.commit()
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    text = client.get(f"{ADMIN}/insurance/").get_data(as_text=True)

    assert "1,234,567.89" in text
    assert "人身意外伤害险" in text


def test_insurance_export_shows_yuan_and_kind(
    client, login, create_user, fire, create_firefighter, db
):
    from openpyxl import load_workbook

    from modules.firefighter_benefits.models import InsurancePolicy

    db.session.add(
        InsurancePolicy(
            firefighter_id=create_firefighter().id,
            kind="medical",
            insurer="中国人寿株洲分公司",
            policy_number="P-2",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            premium_fen=250000,
        )
    )
    db.session.commit()
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    export = client.get(f"{ADMIN}/insurance/export/xlsx/")

    rows = list(load_workbook(io.BytesIO(export.data)).active.values)
    policy = next(row for row in rows if "P-2" in row)
    assert "职工医疗保险" in policy
    assert "2,500.00" in policy
