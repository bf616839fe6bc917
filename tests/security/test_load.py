"""Load: 50 concurrent clients on the production server, zero errors.

The credential verification endpoint and a busy portal list page each take 50
keep-alive clients on gunicorn over loopback. LOAD_SECONDS sets how long each
load lasts: a few seconds in `make test`, 60 in CI.
"""

import base64
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import urllib.parse

import pytest

from tests.benchmarks import bench_verification as bench
from tests.benchmarks.harness import fresh_app
from tests.conftest import is_postgres

SECONDS = float(os.environ.get("LOAD_SECONDS", "3"))


def _session_cookie(port: int, username: str, password: str) -> str:
    """Sign in through the login form like a browser; return the session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/admin/login/")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": password}
    )
    connection.request(
        "POST",
        "/admin/login/",
        body=form,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 302
    return response.getheader("Set-Cookie").split(";")[0]


@pytest.mark.skipif(is_postgres(), reason="loads the embedded deployment once")
def test_verification_and_list_page_hold_under_load(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("ENABLED_MODULES", os.environ.get("ENABLED_MODULES", "all"))
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
    app = fresh_app(url, modules="firefighter_benefits")
    token, numbers = bench._load(app, 500)
    from core.directory import create_user, department_by_code, find_or_create_role
    from core.extensions import db

    with app.app_context():
        role = find_or_create_role("load-admin", "load", [], superuser=True)
        create_user(
            "load-admin", "load-test-password", department_by_code("B430200"), [role]
        )
        db.session.commit()
        db.engine.dispose()
    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    port = bench._free_port()
    server = bench._serve(url, str(tmp_path), key, port)
    try:
        cookie = _session_cookie(port, "load-admin", "load-test-password")
        api_headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }

        def verification(rng):
            body = json.dumps(
                {"credential_number": rng.choice(numbers), "benefit": "transit"}
            )
            return (
                "POST",
                "/api/v1/firefighter-benefits/verifications",
                body,
                api_headers,
            )

        def list_page(rng):
            return "GET", "/admin/organisations/", None, {"Cookie": cookie}

        verify_rps, verify_p99, verify_errors = bench._load_test(
            port, SECONDS, verification
        )
        list_rps, list_p99, list_errors = bench._load_test(port, SECONDS, list_page)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    sys.stdout.write(
        f"\nverification: {verify_rps:.0f} req/s, p99 {verify_p99:.0f} ms, "
        f"{verify_errors} errors; list page: {list_rps:.0f} req/s, "
        f"p99 {list_p99:.0f} ms, {list_errors} errors ({SECONDS:.0f} s each, "
        f"{bench.CLIENTS} clients)\n"
    )
    assert verify_errors == 0
    assert list_errors == 0
    assert verify_rps > 0 and list_rps > 0
