"""Start-up time and resident memory: all six modules against one module."""

import json
import os
import subprocess
import sys
import tempfile

from tests.benchmarks.harness import Figure, Results

PROBE = """
import json, resource, time
start = time.perf_counter()
from core.app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///%s"})
seconds = time.perf_counter() - start
client = app.test_client()
client.get("/admin/login/")
client.get("/api/v1/openapi.json")
# The peak of this process image (VmHWM): ru_maxrss would also count the
# benchmark process this one was forked from.
try:
    status = open("/proc/self/status").read()
    rss = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss}))
"""


def _probe(modules: str) -> dict:
    folder = tempfile.mkdtemp()
    env = {
        **os.environ,
        "ENABLED_MODULES": modules,
        "INSTANCE_PATH": folder,
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE % f"{folder}/s.sqlite3"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(results: Results, smoke: bool) -> None:
    """Start the app in fresh processes, with every module and with one."""
    rounds = 1 if smoke else 3
    every = min((_probe("all") for _ in range(rounds)), key=lambda r: r["seconds"])
    one = min(
        (_probe("firefighter_benefits") for _ in range(rounds)),
        key=lambda r: r["seconds"],
    )
    results.add(
        Figure(
            "start-up, all modules",
            every["seconds"],
            "s",
            one["seconds"],
            "one module, s",
            target="≤ 2 s",
            met=every["seconds"] <= 2,
        )
    )
    results.add(
        Figure(
            "resident memory per worker, all modules",
            every["rss_mb"],
            "MB",
            one["rss_mb"],
            "one module, MB",
            target="≤ 200 MB",
            met=every["rss_mb"] <= 200,
        )
    )
