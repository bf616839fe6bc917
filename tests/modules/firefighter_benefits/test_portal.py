"""Portal pages render for authorised users and keep to their scope."""

from datetime import date

from modules.firefighter_benefits import services
from tests.modules.firefighter_benefits.conftest import ALL_PERMISSIONS

ADMIN = "/admin/firefighter_benefits"


def test_firefighter_list_masks_resident_id(
    client, login, create_user, fire, create_firefighter
):
    firefighter = create_firefighter(name="李振华")
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    page = client.get(f"{ADMIN}/firefighters/")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "李振华" in text
    assert firefighter.resident_id not in text


def test_firefighter_list_scoped_to_station(
    client, login, create_user, fire, create_firefighter
):
    create_firefighter(name="甲站员", station="station")
    create_firefighter(name="乙站员", station="station2")
    login(create_user(fire["station2"], ALL_PERMISSIONS))

    text = client.get(f"{ADMIN}/firefighters/").get_data(as_text=True)

    assert "乙站员" in text
    assert "甲站员" not in text


def test_credential_page_shows_qr(
    client, login, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    page = client.get(f"{ADMIN}/credential/{credential.id}")

    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)


def test_eligibility_page_renders(client, login, create_user, fire, create_firefighter):
    firefighter = create_firefighter()
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    page = client.get(f"{ADMIN}/eligibility/{firefighter.id}?on=2026-06-15")

    assert page.status_code == 200


def test_rule_and_record_lists_render(client, login, create_user, fire):
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    for slug in (
        "rules",
        "venues",
        "requests",
        "insurance",
        "allowances",
        "honours",
        "visits",
        "cases",
        "family",
        "credentials",
    ):
        assert client.get(f"{ADMIN}/{slug}/").status_code == 200, slug


def test_enrollment_list_confirm_and_xlsx(
    client, login, create_user, fire, create_firefighter, create_child
):
    user = create_user(fire["brigade"], ALL_PERMISSIONS)
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    entry = services.add_to_enrollment(child, 2026, date(2026, 3, 2), user)
    login(user)
    list_id = entry.list_id

    assert client.get(f"{ADMIN}/enrollment/").status_code == 200
    assert client.get(f"{ADMIN}/enrollment/{list_id}").status_code == 200
    client.post(f"{ADMIN}/enrollment/{list_id}/confirm")
    download = client.get(f"{ADMIN}/enrollment/{list_id}/xlsx")

    assert download.status_code == 200
    assert download.data[:2] == b"PK"


def test_portal_forbidden_without_view(client, login, create_user, fire):
    login(create_user(fire["brigade"], []))

    page = client.get(f"{ADMIN}/firefighters/")

    assert page.status_code in (302, 403)


def test_credential_created_in_portal(
    client, login, create_user, fire, create_firefighter, db
):
    from modules.firefighter_benefits.models import Credential

    firefighter = create_firefighter()
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    client.post(
        f"{ADMIN}/credentials/new/",
        data={
            "firefighter": firefighter.id,
            "number": "XF-P1",
            "issued_on": "2026-01-01",
            "expires_on": "2028-12-31",
        },
    )

    assert db.session.query(Credential).filter_by(number="XF-P1").count() == 1


def test_credential_with_bad_dates_not_created_in_portal(
    client, login, create_user, fire, create_firefighter, db
):
    from modules.firefighter_benefits.models import Credential

    firefighter = create_firefighter()
    login(create_user(fire["brigade"], ALL_PERMISSIONS))

    client.post(
        f"{ADMIN}/credentials/new/",
        data={
            "firefighter": firefighter.id,
            "number": "XF-P2",
            "issued_on": "2026-01-01",
            "expires_on": "2025-12-31",
        },
    )

    assert db.session.query(Credential).count() == 0
