"""Department scoping through the portal and the API."""

import pytest
from sqlalchemy import select

from core.errors import NotFound
from core.models import Organisation
from core.scoping import get_visible, scope


def test_county_user_sees_own_county_and_below(
    db, city, create_user, create_organisation
):
    mine = create_organisation(city["lusong"], name="芦淞企业")
    create_organisation(city["hetang"], name="荷塘企业")
    user = create_user(city["lusong"], ["core.organisations.view"])

    names = db.session.scalars(
        scope(select(Organisation.name), Organisation, user)
    ).all()

    assert names == [mine.name]


def test_city_user_sees_every_county(db, city, create_user, create_organisation):
    create_organisation(city["lusong"])
    create_organisation(city["hetang"])
    user = create_user(city["city"], ["core.organisations.view"])

    rows = db.session.scalars(scope(select(Organisation), Organisation, user)).all()

    assert len(rows) == 2


def test_sibling_county_record_is_not_found(db, city, create_user, create_organisation):
    theirs = create_organisation(city["hetang"])
    user = create_user(city["lusong"], ["core.organisations.view"])

    with pytest.raises(NotFound):
        get_visible(Organisation, theirs.id, user)


def test_api_hides_sibling_county_records(
    db, city, create_user, create_organisation, api
):
    mine = create_organisation(city["lusong"])
    theirs = create_organisation(city["hetang"])
    caller = api(create_user(city["lusong"], ["core.organisations.view"]))

    listed = caller.get("/api/v1/organisations").get_json()
    guessed = caller.get(f"/api/v1/organisations/{theirs.id}")

    assert [o["id"] for o in listed] == [mine.id]
    assert guessed.status_code == 404
    assert guessed.mimetype == "application/problem+json"


def test_portal_hides_sibling_county_records(
    db, city, create_user, create_organisation, client, login
):
    create_organisation(city["lusong"], name="芦淞可见企业")
    theirs = create_organisation(city["hetang"], name="荷塘隐藏企业")
    login(create_user(city["lusong"], ["core.organisations.view"]))

    page = client.get("/admin/organisations/").get_data(as_text=True)
    details = client.get(f"/admin/organisations/details/?id={theirs.id}")

    assert "芦淞可见企业" in page
    assert "荷塘隐藏企业" not in page
    assert details.status_code == 302


def test_export_holds_only_visible_rows(
    db, city, create_user, create_organisation, client, login
):
    import io

    from openpyxl import load_workbook

    create_organisation(city["lusong"], name="芦淞导出企业")
    create_organisation(city["hetang"], name="荷塘导出企业")
    login(create_user(city["lusong"], ["core.organisations.view"]))

    response = client.get("/admin/organisations/export/xlsx/")

    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "名称"
    assert [r[0] for r in rows[2:]] == ["芦淞导出企业"]


def test_keyset_pages_reach_the_last_rows(
    db, city, create_user, create_organisation, client, login
):
    made = [
        create_organisation(city["lusong"], name=f"分页企业{i:03d}") for i in range(60)
    ]
    login(create_user(city["city"], ["core.organisations.view"]))

    first = client.get("/admin/organisations/").get_data(as_text=True)
    last = client.get("/admin/organisations/?last=1").get_data(as_text=True)
    after = client.get(f"/admin/organisations/?after={made[49].id}").get_data(
        as_text=True
    )

    assert "分页企业000" in first and "分页企业059" not in first
    assert "分页企业059" in last and "分页企业000" not in last
    assert "分页企业050" in after and "分页企业049" not in after
