"""What every benchmark shares: a fresh app, timing, and printed figures.

A benchmark is a module `tests/benchmarks/bench_<name>.py` with a function
`run(results: Results, smoke: bool) -> None`. It loads its volumes (tiny when
`smoke`), measures, and adds figures with their reference measured in the same
run, so a figure holds on a noisy machine.
"""

import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import text

log = logging.getLogger(__name__)


@dataclass
class Figure:
    """One measured figure, with the reference it is judged against."""

    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    target: str = ""
    met: bool | None = None

    def line(self) -> str:
        """The printed line of this figure."""
        text = f"{self.name}: {self.value:,.3f} {self.unit}"
        if self.reference is not None:
            text += f" (reference {self.reference_name}: {self.reference:,.3f})"
        if self.target:
            verdict = {True: "met", False: "MISSED", None: "n/a"}[self.met]
            text += f" | target {self.target}: {verdict}"
        return text


@dataclass
class Results:
    """Figures of one run, printed as they come and saved as JSON."""

    database: str
    smoke: bool = False
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        """Record and print a figure."""
        self.figures.append(figure)
        sys.stdout.write(f"[{self.database}] {figure.line()}\n")
        sys.stdout.flush()
        return figure

    def save(self, path: Path) -> None:
        """Write every figure to a JSON file for comparing runs."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "database": self.database,
                    "smoke": self.smoke,
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "figures": [asdict(f) for f in self.figures],
                },
                ensure_ascii=False,
                indent=2,
            )
        )


def database_url() -> str:
    """PostgreSQL when TEST_DATABASE_URL says so, else a scratch SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"


def fresh_app(url: str | None = None, modules: str = "all", **overrides):
    """An app on an empty schema with the calendar seeded."""
    from core import calendar
    from core.app import create_app
    from core.extensions import db

    instance = tempfile.mkdtemp()
    os.environ["INSTANCE_PATH"] = instance
    os.environ["ENABLED_MODULES"] = modules
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url or database_url(),
            "WTF_CSRF_ENABLED": False,
            "SCHEDULER_IN_WEB": False,
            "MAIL_FILE_DIR": f"{instance}/outbox",
            "UPLOAD_FOLDER": f"{instance}/uploads",
            **overrides,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # The benchmark database may hold tables of modules this run does
            # not enable (or of an earlier test run) that point at the core's.
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        calendar.seed_from_package()
        db.session.commit()
    return app


class Timer:
    """A context manager measuring wall time in seconds."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False
