"""A live portal on demo data, and headless Chromium driven by Playwright.

The browser is the distribution's Chromium (no browser download); a failing
test leaves a screenshot in test-artifacts/.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal served on a free loopback port, with demo data."""
    if is_postgres():
        pytest.skip("browser tests run once, on the embedded SQLite deployment")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make setup installs it)")
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "SCHEDULER_IN_WEB": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    for step in (["db", "upgrade"], ["demo"]):
        subprocess.run(
            [sys.executable, "run.py", *step],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "run.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("the portal did not start")
    yield {"url": url, "instance": instance}
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(live_server):
    """Headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh page; its screenshot is saved when the test fails."""
    # Reduced motion: charts are drawn without their entry animation, so a
    # screenshot shows every bar at its full height.
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 1366, "height": 900},
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.base_url = live_server["url"]
    yield page
    outcome = getattr(request.node, "rep_call", None)
    if outcome is not None and outcome.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True
        )
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for the screenshot on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def sign_in(page, username="admin", password="zhuzhou-demo-2026"):
    """Sign in through the login form."""
    page.goto(f"{page.base_url}/admin/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot in test-artifacts/, once every chart is drawn."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_function(
        "Array.from(document.querySelectorAll('[data-chart]'))"
        ".every(element => element.dataset.drawn === 'true')"
    )
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
