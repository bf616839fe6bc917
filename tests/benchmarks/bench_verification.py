"""Credential verification under 50 concurrent clients on gunicorn.

With 100,000 firefighters registered, the verification endpoint and a bare
Flask app answering a constant JSON run on the same gunicorn server (same
workers, worker class and keep-alive) in the same run; the verification
endpoint must reach half the bare endpoint's throughput and a 99th-percentile
latency at most 2.5 times its one. A constant view of the portal app itself
(every request hook of the portal, no work in the view) is measured too, for
information: it shows what the portal's request handling costs on its own.

Both are driven by the same client: one asyncio loop holding CLIENTS keep-alive
connections, which takes some tens of microseconds of CPU per request against
the server's hundreds, so it does not starve a two-core server. After a warm-up
of each, the two are measured in alternating slices (ABBA), so that other work
on the machine weighs on both alike. CPU time per request of the server and of
the client is reported too, as it holds better than wall-clock figures on a
busy machine. After the server stops, the verification counts in the table
must match the checks answered: nothing buffered is lost on a normal shutdown.
"""

import asyncio
import base64
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
# Measured slices per endpoint, alternating (ABBA) with the other endpoint's.
ROUNDS = 6
BATCH = 5000
VERIFY_PATH = "/api/v1/firefighter-benefits/verifications"


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


def _serve(url: str, instance: str, key: str, port: int, log=None) -> subprocess.Popen:
    """Start gunicorn on the benchmark's WSGI entry; its log goes to `log`."""
    if log is None:
        log = tempfile.TemporaryFile()
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
        # A file, not a pipe: nobody reads the pipe while the load runs.
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(_tail(log)) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start within 60 seconds")


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _workers_cpu(master: int) -> float | None:
    """CPU seconds used so far by the server's worker processes (Linux)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def _workers_rss_mb(master: int) -> float | None:
    """The largest resident memory of the server's worker processes, in MB."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        largest = 0
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
    except (OSError, IndexError, ValueError):
        return None
    return largest / 1024


class Load:
    """What one or more load runs of an endpoint measured."""

    def __init__(self, latencies=(), seconds=0.0, errors=0, client_cpu=0.0):
        self.latencies = list(latencies)
        self.seconds = seconds
        self.errors = errors
        self.client_cpu = client_cpu
        self.server_cpu: float | None = 0.0

    def add(self, other: "Load") -> None:
        """Fold another run of the same endpoint into this one."""
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors
        self.client_cpu += other.client_cpu
        if self.server_cpu is None or other.server_cpu is None:
            self.server_cpu = None
        else:
            self.server_cpu += other.server_cpu

    @property
    def requests(self) -> int:
        """Requests answered."""
        return len(self.latencies)

    @property
    def rps(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p99_ms(self) -> float:
        """The 99th-percentile latency in milliseconds."""
        every = sorted(self.latencies)
        if not every:
            return 0.0
        return every[min(len(every) - 1, int(len(every) * 0.99))] * 1000


def _python_load(port: int, seconds: float, request_for) -> Load:
    """CLIENTS keep-alive connections on one asyncio loop, each sending requests
    back to back for `seconds`; every request sent is waited for."""
    latencies: list[float] = []
    errors = [0]

    class Connection(asyncio.Protocol):
        def __init__(self, index: int, stop_at: float, closed: list):
            self.rng = random.Random(index)
            self.stop_at = stop_at
            self.closed = closed
            self.transport = None
            self.size = None
            self.waiting = False

        def connection_made(self, transport):
            self.transport = transport
            self.send()

        def send(self):
            self.buffer = bytearray()
            self.size = None
            self.waiting = False
            if time.perf_counter() >= self.stop_at:
                self.transport.close()
                return
            self.waiting = True
            self.began = time.perf_counter()
            self.transport.write(request_for(self.rng))

        def data_received(self, data):
            self.buffer += data
            if self.size is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buffer[:end]).lower()
                at = head.find(b"\r\ncontent-length:")
                if at < 0:
                    errors[0] += 1
                    self.transport.close()
                    return
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop > 0 else len(head)])
                self.size = end + 4 + length
                self.ok = head[9:12] == b"200"
            if len(self.buffer) >= self.size:
                latencies.append(time.perf_counter() - self.began)
                if not self.ok:
                    errors[0] += 1
                self.send()

        def connection_lost(self, exc):
            if self.waiting or exc is not None:
                errors[0] += 1
            self.closed[0] -= 1
            if self.closed[0] == 0:
                self.closed[1].set_result(None)

    async def drive() -> float:
        loop = asyncio.get_running_loop()
        closed = [CLIENTS, loop.create_future()]
        began = time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(
            *(
                loop.create_connection(
                    lambda i=i: Connection(i, stop_at, closed), "127.0.0.1", port
                )
                for i in range(CLIENTS)
            )
        )
        await closed[1]
        return time.perf_counter() - began

    # The loop runs in a thread of its own: the caller's thread may already run
    # one (a test session that drives a browser does).
    outcome = {}

    def run_loop():
        try:
            outcome["elapsed"] = asyncio.run(drive())
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    cpu = time.process_time()
    driver = threading.Thread(target=run_loop, name="load-clients")
    driver.start()
    driver.join()
    if "error" in outcome:
        raise outcome["error"]
    return Load(latencies, outcome["elapsed"], errors[0], time.process_time() - cpu)


def _load_test(port: int, seconds: float, request_for) -> tuple[float, float, int]:
    """CLIENTS keep-alive clients for `seconds`: (req/s, p99 ms, errors).

    `request_for(rng)` gives (method, path, body, headers) of each request.
    """

    def encoded(rng) -> bytes:
        method, path, body, headers = request_for(rng)
        data = body.encode() if isinstance(body, str) else body or b""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if data or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(data)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data

    load = _python_load(port, seconds, encoded)
    return load.rps, load.p99_ms, load.errors


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

    # Every number has the same length, so the request is a fixed head and a
    # body with the number slotted in: the client does as little per request
    # for the verification as for the constant view.
    bodies = [
        b'{"credential_number": "%s", "benefit": "transit"}' % n.encode()
        for n in numbers
    ]
    head = (
        f"POST {VERIFY_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(bodies[0])}\r\n\r\n"
    ).encode()

    def verification(rng) -> bytes:
        return head + rng.choice(bodies)

    def constant(path):
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        return lambda rng: request

    def measure(path: str, seconds: float) -> Load:
        request_for = verification if path == VERIFY_PATH else constant(path)
        before = _workers_cpu(server.pid)
        load = _python_load(port, seconds, request_for)
        after = _workers_cpu(server.pid)
        load.server_cpu = None if None in (before, after) else after - before
        return load

    port = _free_port()
    log = tempfile.TemporaryFile()
    server = _serve(url, instance or tempfile.mkdtemp(), key, port, log)
    bare, checks, portal = Load(), Load(), Load()
    memory = None
    try:
        warm = 1.0 if smoke else 3.0
        measure("/flask", warm)
        answered = measure(VERIFY_PATH, warm).requests
        rounds = 2 if smoke else ROUNDS
        for index in range(rounds):
            order = ("/flask", VERIFY_PATH)
            for path in order if index % 2 == 0 else reversed(order):
                (bare if path == "/flask" else checks).add(
                    measure(path, seconds / rounds)
                )
        answered += checks.requests
        portal.add(measure("/bare", seconds / rounds))
        # Each worker holds the gate registry of every credential by now.
        memory = _workers_rss_mb(server.pid)
    finally:
        # SIGTERM is gunicorn's graceful stop: workers finish and write their
        # buffered verification counts on the way out.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()

    if checks.errors or bare.errors or portal.errors:
        raise RuntimeError(
            f"{checks.errors} verification, {bare.errors} bare Flask and "
            f"{portal.errors} portal constant view errors\n{_tail(log)}"
        )
    _report(results, bare, checks, portal)
    if memory is not None:
        results.add(
            Figure(
                "worker resident memory, gate registry loaded",
                memory,
                "MB",
                reference=len(numbers),
                reference_name="credentials",
                target="<= 200 MB",
                met=memory <= 200,
            )
        )

    from sqlalchemy import func, select

    from modules.firefighter_benefits.models import VerificationCount

    with app.app_context():
        counted = int(db.session.scalar(select(func.sum(VerificationCount.count))) or 0)
        db.engine.dispose()
    results.add(
        Figure(
            "verification checks counted after shutdown",
            counted,
            "checks",
            reference=answered,
            reference_name="answered",
            target="= answered",
            met=counted == answered,
        )
    )


def _per_request_us(seconds: float | None, load: Load) -> float | None:
    if seconds is None or not load.requests:
        return None
    return seconds / load.requests * 1e6


def _report(results: Results, bare: Load, checks: Load, portal: Load) -> None:
    results.add(Figure("bare Flask throughput", bare.rps, "req/s"))
    results.add(Figure("bare Flask p99 latency", bare.p99_ms, "ms"))
    results.add(
        Figure(
            "verification throughput",
            checks.rps,
            "req/s",
            reference=bare.rps,
            reference_name="bare Flask",
            target=">= 0.5 x bare Flask",
            met=checks.rps >= 0.5 * bare.rps,
        )
    )
    results.add(
        Figure(
            "verification p99 latency",
            checks.p99_ms,
            "ms",
            reference=bare.p99_ms,
            reference_name="bare Flask",
            target="<= 2.5 x bare Flask",
            met=checks.p99_ms <= 2.5 * bare.p99_ms,
        )
    )
    results.add(
        Figure(
            "throughput ratio (verification / bare Flask)",
            checks.rps / bare.rps,
            "x",
            target=">= 0.5",
            met=checks.rps / bare.rps >= 0.5,
        )
    )
    results.add(
        Figure(
            "p99 ratio (verification / bare Flask)",
            checks.p99_ms / bare.p99_ms,
            "x",
            target="<= 2.5",
            met=checks.p99_ms / bare.p99_ms <= 2.5,
        )
    )
    for name, load in (
        ("bare Flask", bare),
        ("verification", checks),
        ("portal constant view", portal),
    ):
        server = _per_request_us(load.server_cpu, load)
        client = _per_request_us(load.client_cpu, load)
        if server is not None and client is not None:
            results.add(
                Figure(
                    f"{name} server CPU per request",
                    server,
                    "us",
                    reference=client,
                    reference_name="client CPU per request",
                )
            )
    results.add(
        Figure(
            "portal constant view throughput (information)",
            portal.rps,
            "req/s",
            reference=portal.p99_ms,
            reference_name="p99 ms",
        )
    )
