"""Two people saving one record: the second save is refused, nothing is lost."""

import re

from core.models import Organisation
from tests.conftest import PASSWORD


def _edit_form(client, organisation_id):
    page = client.get(f"/admin/organisations/edit/?id={organisation_id}").get_data(
        as_text=True
    )
    version = re.search(
        r'name="expected_version"[^>]*value="(\d+)"', page
    ) or re.search(r'value="(\d+)"[^>]*name="expected_version"', page)
    return version.group(1)


def _save(client, organisation, version, address):
    return client.post(
        f"/admin/organisations/edit/?id={organisation.id}",
        data={
            "name": organisation.name,
            "uscc": organisation.uscc,
            "county": organisation.county_id,
            "industry": organisation.industry,
            "address": address,
            "legal_representative": "",
            "founded_on": "",
            "expected_version": version,
        },
        follow_redirects=True,
    )


def test_second_save_of_a_stale_form_is_refused(
    app, db, city, create_user, create_organisation
):
    organisation = create_organisation(city["lusong"], name="并发编辑企业")
    permissions = ["core.organisations.view", "core.organisations.edit"]
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        user = create_user(city["lusong"], permissions)
        client.post(
            "/admin/login/", data={"username": user.username, "password": PASSWORD}
        )
    first_version = _edit_form(first, organisation.id)
    second_version = _edit_form(second, organisation.id)

    saved = _save(first, organisation, first_version, "第一位的地址")
    refused = _save(second, organisation, second_version, "第二位的地址")

    db.session.expire_all()
    stored = db.session.get(Organisation, organisation.id)
    assert saved.status_code == 200
    assert "他人已保存" in refused.get_data(as_text=True)
    assert stored.address == "第一位的地址"
    assert stored.version == int(first_version) + 1
