"""The audit view: filters, keyset pages and clear messages for bad filters."""


def test_audit_view_filters_by_table(
    db, city, create_user, create_organisation, client, login
):
    create_organisation(city["lusong"], name="审计筛选企业")
    login(create_user(city["city"], ["core.audit.view"]))

    page = client.get("/admin/audit/?table_name=core_organisations").get_data(
        as_text=True
    )

    assert "core_organisations" in page
    assert "core_departments</td>" not in page


def test_audit_view_oldest_page(db, city, create_user, client, login):
    login(create_user(city["city"], ["core.audit.view"]))

    page = client.get("/admin/audit/?oldest=1").get_data(as_text=True)

    assert "core_calendar_days" in page


def test_audit_view_malformed_date_is_a_message(db, city, create_user, client, login):
    login(create_user(city["city"], ["core.audit.view"]))

    page = client.get("/admin/audit/?date_from=2026-02-30").get_data(as_text=True)

    assert "YYYY-MM-DD" in page or "日期" in page


def test_audit_view_needs_permission(db, city, create_user, client, login):
    login(create_user(city["city"], []))

    assert client.get("/admin/audit/").status_code == 302


def test_record_page_shows_its_history(
    db, city, create_user, create_organisation, client, login
):
    organisation = create_organisation(city["lusong"], name="历史企业")
    organisation.industry = "新行业"
    db.session.commit()
    login(create_user(city["city"], ["core.organisations.view", "core.audit.view"]))

    page = client.get(f"/admin/organisations/details/?id={organisation.id}").get_data(
        as_text=True
    )

    assert 'id="record-history"' in page
    assert "新行业" in page
