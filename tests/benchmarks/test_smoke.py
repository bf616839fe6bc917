"""Every benchmark runs end to end on tiny volumes, so none of them rots."""

import importlib
import os
import pkgutil
from pathlib import Path

import pytest

from tests.benchmarks.harness import Results

NAMES = sorted(
    m.name
    for m in pkgutil.iter_modules([str(Path(__file__).parent)])
    if m.name.startswith("bench_")
)


@pytest.mark.parametrize("name", NAMES)
def test_benchmark_smoke(name, monkeypatch):
    # Smoke runs use their own scratch SQLite database, never the suite's.
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("ENABLED_MODULES", os.environ.get("ENABLED_MODULES", "all"))
    monkeypatch.setenv("INSTANCE_PATH", os.environ.get("INSTANCE_PATH", "instance"))
    module = importlib.import_module(f"tests.benchmarks.{name}")
    results = Results(database="smoke", smoke=True)

    module.run(results, smoke=True)

    assert results.figures
    assert all(f.value == f.value for f in results.figures)  # no NaN figures
