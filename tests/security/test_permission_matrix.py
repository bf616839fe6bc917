"""The permission matrix: every portal view and API endpoint, every kind of user.

The demo data of every enabled module is loaded, then users of each department
kind with and without each module's permissions visit everything. Zero leaks:
no page or answer reaches a user who lacks its permission, and no record page
of another county opens for a county user.
"""

import re

import pytest
from sqlalchemy import select

from core.admin.base import PortalModelView, PortalView, ProtectedMixin
from core.api import OPERATIONS
from core.models import Department, DepartmentKind
from core.scoping import scope_clause

REFUSED = {301, 302, 303, 401, 403, 404}


@pytest.fixture
def demo(app, db):
    """The whole demo city, with every enabled module's records."""
    from core.demo import load_demo

    load_demo()
    return {d.code: d for d in db.session.scalars(select(Department))}


def _views(app):
    admin = app.extensions["portal_admin"]
    return [v for v in admin._views if isinstance(v, ProtectedMixin)]


def _index_url(view) -> str:
    return f"{view.url}/"


def _get_operations(app):
    registered = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for op in OPERATIONS:
        if (
            op.method == "get"
            and not op.public
            and op.endpoint in registered
            and "<" not in op.rule
        ):
            yield op


def test_anonymous_visitor_is_refused_everywhere(app, demo, client):
    for view in _views(app):
        response = client.get(_index_url(view))
        assert response.status_code in REFUSED, view.endpoint
    for op in _get_operations(app):
        assert client.get(op.rule).status_code == 401, op.rule


def test_user_without_permissions_is_refused_everywhere(
    app, demo, create_user, login, client, api
):
    user = create_user(demo["430203"], [])
    login(user)
    caller = api(user)

    for view in _views(app):
        if view.view_permission is None:
            continue
        response = client.get(_index_url(view))
        assert response.status_code in REFUSED, view.endpoint
    for op in _get_operations(app):
        if op.permission:
            assert caller.get(op.rule).status_code == 403, op.rule


@pytest.mark.parametrize(
    "kind_code", ["430200", "430203", "430203001", "scjgj", "xfzd"]
)
def test_holder_of_a_view_permission_reaches_its_pages(
    app, demo, create_user, login, client, api, kind_code
):
    permissions = list(app.extensions["registry"].all_permissions())
    user = create_user(demo[kind_code], permissions)
    login(user)
    caller = api(user)

    for view in _views(app):
        response = client.get(_index_url(view))
        # A page may forward to its own sub-page, but never to sign-in or home.
        forwarded = response.status_code in (301, 302, 303) and not (
            "/login" in response.location
            or response.location.rstrip("/") in ("/admin", "http://localhost/admin")
        )
        assert response.status_code == 200 or forwarded, (
            view.endpoint,
            response.status_code,
        )
    for op in _get_operations(app):
        response = caller.get(op.rule)
        assert response.status_code not in (401, 403, 500), (
            op.rule,
            response.status_code,
        )


def _scoped_views(app):
    for view in _views(app):
        if isinstance(view, PortalModelView) and (
            getattr(view.model, "__scope_column__", None)
            or getattr(view.model, "__scope_clause__", None)
        ):
            yield view


def test_county_user_cannot_open_another_countys_records(
    app, demo, db, create_user, login, client
):
    permissions = list(app.extensions["registry"].all_permissions())
    county = create_user(demo["430203"], permissions)
    city = create_user(demo["430200"], permissions)
    login(county)
    opened = 0

    for view in _scoped_views(app):
        model = view.model
        visible_to_county = scope_clause(model, county)
        pk = model.__mapper__.primary_key[0]
        others = (
            db.session.scalars(select(pk).where(~visible_to_county).limit(5)).all()
            if visible_to_county is not None
            else []
        )
        for record_id in others:
            for action in ("details", "edit"):
                response = client.get(f"{view.url}/{action}/?id={record_id}")
                assert response.status_code in REFUSED, (view.endpoint, record_id)
                opened += 1

    assert city.department.kind == DepartmentKind.CITY
    assert opened > 0, "the demo data should hold records of other counties"


def test_portal_list_pages_hold_no_other_county(
    app, demo, db, create_user, login, client
):
    """A county user's list pages name no department outside the county."""
    permissions = list(app.extensions["registry"].all_permissions())
    county = create_user(demo["430203"], permissions)
    login(county)
    foreign = [
        d.name
        for d in demo.values()
        if d.kind == DepartmentKind.COUNTY and d.code != "430203"
    ]

    for view in _scoped_views(app):
        page = client.get(_index_url(view)).get_data(as_text=True)
        table = re.search(r"<table.*?</table>", page, re.S)
        body = table.group(0) if table else ""
        leaked = [name for name in foreign if f">{name}<" in body]
        assert leaked == [], (view.endpoint, leaked)


def test_every_custom_page_declares_a_permission(app):
    unguarded = [
        v.endpoint
        for v in _views(app)
        if isinstance(v, PortalView) and v.view_permission is None
    ]

    assert unguarded == []
