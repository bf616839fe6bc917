"""Fixtures shared by every test: the app, a clean database, and factories.

Tests run on SQLite unless TEST_DATABASE_URL points at PostgreSQL. The schema
is created once per session; after each test every table is emptied and the
calendar is seeded again, so each test starts from the same state.
"""

import itertools
import os
from datetime import date

import pytest
from sqlalchemy import text

from core.app import create_app
from core.context import Actor, acting_as
from core.extensions import db as _db
from core.models import ApiToken, DepartmentKind

PASSWORD = "correct-horse-battery"
_codes = itertools.count(1)


def database_url(tmp_path_factory) -> str:
    """The test database: TEST_DATABASE_URL or a SQLite file in a temp folder."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def is_postgres() -> bool:
    """Whether the suite runs on PostgreSQL."""
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app with every module enabled, on a fresh schema."""
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("INSTANCE_PATH", str(instance))
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
            "WTF_CSRF_ENABLED": False,
            "UPLOAD_FOLDER": str(instance / "uploads"),
            "MAIL_FILE_DIR": str(instance / "outbox"),
            "CALENDAR_REFRESH_SECONDS": 0,
            "SCHEDULER_IN_WEB": False,
        }
    )
    with application.app_context():
        if is_postgres():
            # The test database may hold tables of modules this run does not
            # enable, pointing at the core's; start from an empty schema.
            with _db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        else:
            _db.drop_all()
        _db.create_all()
    return application


def _empty_tables():
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        with _db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with _db.engine.begin() as connection:
            for table in tables:
                connection.execute(table.delete())
    from core.audit import GENESIS
    from core.models import AuditHead

    with _db.engine.begin() as connection:
        connection.execute(
            AuditHead.__table__.insert().values(id=1, seq=0, hash=GENESIS)
        )


@pytest.fixture
def db(app):
    """The database, emptied and with the calendar seeded, inside an app context."""
    from core import calendar

    with app.app_context():
        _empty_tables()
        with acting_as(Actor(kind="system", name="test-setup")):
            calendar.seed_from_package()
            _db.session.commit()
        calendar.invalidate()
        yield _db
        _db.session.rollback()
        _db.session.remove()
        calendar.invalidate()


@pytest.fixture
def client(app, db):
    """A test client of the portal and the API."""
    return app.test_client()


@pytest.fixture
def create_department(db):
    """Factory: create_department(name, kind, parent=None) -> Department."""
    from core.directory import create_department as make

    def factory(name, kind=DepartmentKind.COUNTY, parent=None, code=None, emails=""):
        department = make(code or f"T{next(_codes):05d}", name, kind, parent, emails)
        db.session.commit()
        return department

    return factory


@pytest.fixture
def city(create_department):
    """A small city: two counties with a township each, and a city department."""
    root = create_department("株洲市", DepartmentKind.CITY)
    lusong = create_department("芦淞区", DepartmentKind.COUNTY, root)
    hetang = create_department("荷塘区", DepartmentKind.COUNTY, root)
    return {
        "city": root,
        "lusong": lusong,
        "hetang": hetang,
        "jianshe": create_department("建设街道", DepartmentKind.TOWNSHIP, lusong),
        "yuetang": create_department("月塘街道", DepartmentKind.TOWNSHIP, hetang),
        "market": create_department(
            "市市场监督管理局", DepartmentKind.CITY_DEPARTMENT, root
        ),
    }


@pytest.fixture
def create_user(db):
    """Factory: create_user(department, permissions=(), superuser=False) -> User."""
    from core.directory import create_user as make
    from core.models import Role

    def factory(
        department, permissions=(), superuser=False, username=None, city_wide=False
    ):
        name = username or f"user{next(_codes)}"
        role = Role(
            name=f"role-{name}",
            title=name,
            permissions=list(permissions),
            is_superuser=superuser,
            city_wide=city_wide,
        )
        db.session.add(role)
        user = make(name, PASSWORD, department, [role])
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login(client):
    """Sign a user in to the portal through the login form."""

    def sign_in(user, password=PASSWORD):
        return client.post(
            "/admin/login/", data={"username": user.username, "password": password}
        )

    return sign_in


@pytest.fixture
def api(app, db):
    """Factory: api(user) -> a client whose requests carry the user's bearer token."""

    class TokenClient:
        def __init__(self, user):
            token, self.token = ApiToken.issue(user, "test")
            db.session.add(token)
            db.session.commit()
            self.client = app.test_client()

        def _headers(self, kwargs):
            headers = dict(kwargs.pop("headers", {}) or {})
            headers["Authorization"] = f"Bearer {self.token}"
            return headers

        def get(self, url, **kwargs):
            return self.client.get(url, headers=self._headers(kwargs), **kwargs)

        def post(self, url, **kwargs):
            return self.client.post(url, headers=self._headers(kwargs), **kwargs)

        def put(self, url, **kwargs):
            return self.client.put(url, headers=self._headers(kwargs), **kwargs)

        def patch(self, url, **kwargs):
            return self.client.patch(url, headers=self._headers(kwargs), **kwargs)

        def delete(self, url, **kwargs):
            return self.client.delete(url, headers=self._headers(kwargs), **kwargs)

    return TokenClient


@pytest.fixture
def create_organisation(db):
    """Factory: create_organisation(county, name=None) -> Organisation."""
    from stdnum.cn import uscc

    from core.directory import create_organisation as make

    def factory(county, name=None, **extra):
        n = next(_codes)
        body = f"9143020{n:010d}"[:17]
        code = body + uscc.calc_check_digit(body)
        organisation = make(name or f"测试企业{n}", code, county, **extra)
        db.session.commit()
        return organisation

    return factory


@pytest.fixture
def today():
    """A fixed business date for tests that need one."""
    return date(2026, 6, 15)
