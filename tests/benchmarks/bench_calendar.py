"""Adding working days: the core's index against chinese_calendar.find_workday."""

import random
import time
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar import constants

from tests.benchmarks.harness import Figure, Results, fresh_app


def _pairs(count: int, seed: int = 20261203) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    first = date(2004, 1, 1)
    last = max(constants.holidays) - timedelta(days=120)
    span = (last - first).days
    return [
        (first + timedelta(days=rng.randrange(span)), rng.randint(1, 60))
        for _ in range(count)
    ]


def run(results: Results, smoke: bool) -> None:
    """Time 10,000 random additions both ways and check they agree."""
    from core import calendar

    app = fresh_app(modules="none")
    pairs = _pairs(200 if smoke else 10_000)
    with app.app_context():
        calendar.add_working_days(date(2026, 1, 1), 1)  # build the index once

        start = time.perf_counter()
        ours = [calendar.add_working_days(day, n).value for day, n in pairs]
        our_seconds = time.perf_counter() - start

    start = time.perf_counter()
    theirs = [chinese_calendar.find_workday(n, day) for day, n in pairs]
    their_seconds = time.perf_counter() - start

    # The package counts from a holiday differently; DESIGN.md fixes our rule,
    # so agreement is checked where the start date is a working day.
    comparable = [
        i for i, (day, _n) in enumerate(pairs) if chinese_calendar.is_workday(day)
    ]
    disagreements = sum(1 for i in comparable if ours[i] != theirs[i])

    per_call_ours = our_seconds / len(pairs) * 1e6
    per_call_theirs = their_seconds / len(pairs) * 1e6
    ratio = per_call_theirs / per_call_ours
    results.add(
        Figure(
            "add working days, per call",
            per_call_ours,
            "µs",
            per_call_theirs,
            "chinese_calendar.find_workday µs",
        )
    )
    results.add(
        Figure(
            "add working days, speed-up", ratio, "×", target="≥ 100×", met=ratio >= 100
        )
    )
    results.add(
        Figure(
            "add working days, disagreements on working-day starts",
            disagreements,
            f"of {len(comparable)}",
            target="0",
            met=disagreements == 0,
        )
    )
