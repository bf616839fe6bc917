"""Credential verification under 50 concurrent clients on gunicorn.

With 100,000 firefighters registered, the verification endpoint and a bare
Flask endpoint answering a constant JSON run on the same gunicorn server in
the same run; the verification endpoint must reach half the bare throughput
and a 99th-percentile latency at most 2.5 times the bare one.
"""

import base64
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from tests.benchmarks.harness import Figure, Results, database_url, fresh_app

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 50
BATCH = 5000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _resident_id(serial: int) -> str:
    """A distinct valid resident ID per serial: 500 people per birth date."""
    from stdnum.cn import ric

    born = date(1975, 1, 1) + timedelta(days=serial // 500)
    body = f"430202{born:%Y%m%d}{serial % 500:03d}"
    return body + ric.calc_check_digit(body + "0")


def _load(app, count: int) -> tuple[str, list[str]]:
    """Register `count` firefighters with credentials; return a token and numbers."""
    from sqlalchemy import insert

    from core.context import Actor, acting_as
    from core.directory import create_department, create_user
    from core.extensions import db
    from core.models import ApiToken, DepartmentKind, Role, utcnow
    from modules.firefighter_benefits import services
    from modules.firefighter_benefits.models import Credential, Firefighter

    with app.app_context(), acting_as(Actor(kind="cli", name="benchmark")):
        services.seed_rules()
        city = create_department("B430200", "株洲市", DepartmentKind.CITY)
        brigade = create_department(
            "Bxfzd", "株洲市消防救援支队", DepartmentKind.RESIDENT_UNIT, city
        )
        role = Role(
            name="device", title="device", permissions=["firefighter_benefits.verify"]
        )
        db.session.add(role)
        device = create_user("gate", "benchmark-password", city, [role])
        token, plain = ApiToken.issue(device, "gate")
        db.session.add(token)
        db.session.commit()

        now = utcnow()
        numbers = []
        for first in range(0, count, BATCH):
            people, cards = [], []
            for serial in range(first, min(first + BATCH, count)):
                resident_id = _resident_id(serial)
                # Ids are given, so no RETURNING round trip is needed per batch.
                firefighter_id = len(numbers) + 1
                number = f"XF{firefighter_id:08d}"
                numbers.append(number)
                people.append(
                    {
                        "id": firefighter_id,
                        "resident_id": resident_id,
                        "name": f"消防员{serial}",
                        "category": ("establishment", "full_time", "civilian_staff")[
                            serial % 3
                        ],
                        "brigade_id": brigade.id,
                        "service_start": date(2015 + serial % 10, 1, 1),
                        "status": "serving",
                        "phone": "",
                        "address": "",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                cards.append(
                    {
                        "id": firefighter_id,
                        "firefighter_id": firefighter_id,
                        "number": number,
                        "issued_on": date(2025, 1, 1),
                        "expires_on": date(2099, 12, 31),
                        "revoke_reason": "",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            # One multi-row INSERT per batch: a round trip per row would make the
            # load take longer than the measurement.
            db.session.execute(insert(Firefighter.__table__).values(people))
            db.session.execute(insert(Credential.__table__).values(cards))
            db.session.commit()
    return plain, numbers


def _serve(url: str, instance: str, key: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENABLED_MODULES": "firefighter_benefits",
        "INSTANCE_PATH": instance,
        "FIREFIGHTER_SIGNING_KEY": key,
        "SCHEDULER_IN_WEB": "false",
        "LOG_LEVEL": "WARNING",
        # One gate token makes every check of the run; the per-token budget is a
        # deployment setting, raised here so the run measures speed, not refusals.
        "API_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    workers = str(max(2, os.cpu_count() or 2))
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            workers,
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--keep-alive",
            "30",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "tests.benchmarks.ff_wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start within 60 seconds")


def _load_test(port: int, seconds: float, request_for) -> tuple[float, float, int]:
    """Run CLIENTS keep-alive clients for `seconds`: (req/s, p99 ms, errors)."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors = [0] * CLIENTS
    start_gate = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(index)
        start_gate.wait()
        while time.perf_counter() < stop_at[0]:
            method, path, body, headers = request_for(rng)
            began = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies[index].append(time.perf_counter() - began)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for chunk in latencies for x in chunk)
    if not every:
        return 0.0, float("inf"), sum(errors)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))] * 1000
    return len(every) / elapsed, p99, sum(errors)


def run(results: Results, smoke: bool) -> None:
    """Load the registry, start gunicorn, and measure both endpoints."""
    count = 20 if smoke else 100_000
    seconds = 1.5 if smoke else 15.0
    url = database_url()
    app = fresh_app(url, modules="firefighter_benefits")
    instance = app.instance_path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    key = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    load_started = time.perf_counter()
    token, numbers = _load(app, count)
    results.add(
        Figure(
            "firefighters registered",
            len(numbers),
            "rows",
            reference=time.perf_counter() - load_started,
            reference_name="seconds to load",
        )
    )
    from core.extensions import db

    with app.app_context():
        db.engine.dispose()

    port = _free_port()
    server = _serve(url, instance or tempfile.mkdtemp(), key, port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def verification(rng):
        body = json.dumps(
            {"credential_number": rng.choice(numbers), "benefit": "transit"}
        )
        return "POST", "/api/v1/firefighter-benefits/verifications", body, headers

    def constant(rng):
        return "GET", "/bare", None, {}

    try:
        warm = 0.5 if smoke else 3.0
        _load_test(port, warm, constant)
        _load_test(port, warm, verification)
        bare_rps, bare_p99, bare_errors = _load_test(port, seconds, constant)
        rps, p99, errors = _load_test(port, seconds, verification)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    if errors or bare_errors:
        raise RuntimeError(f"{errors} verification and {bare_errors} bare errors")
    results.add(Figure("bare Flask throughput", bare_rps, "req/s"))
    results.add(Figure("bare Flask p99 latency", bare_p99, "ms"))
    results.add(
        Figure(
            "verification throughput",
            rps,
            "req/s",
            reference=bare_rps,
            reference_name="bare Flask",
            target=">= 0.5 x bare",
            met=rps >= 0.5 * bare_rps,
        )
    )
    results.add(
        Figure(
            "verification p99 latency",
            p99,
            "ms",
            reference=bare_p99,
            reference_name="bare Flask",
            target="<= 2.5 x bare",
            met=p99 <= 2.5 * bare_p99,
        )
    )
    results.add(
        Figure(
            "throughput ratio (verification / bare)",
            rps / bare_rps,
            "x",
            target=">= 0.5",
            met=rps / bare_rps >= 0.5,
        )
    )
    results.add(
        Figure(
            "p99 ratio (verification / bare)",
            p99 / bare_p99,
            "x",
            target="<= 2.5",
            met=p99 / bare_p99 <= 2.5,
        )
    )
