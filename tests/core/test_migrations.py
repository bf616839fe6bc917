"""Every module's migrations build exactly the schema its models declare."""

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core import migrate
from core.app import create_app
from core.extensions import db
from tests.conftest import is_postgres


@pytest.mark.skipif(is_postgres(), reason="runs on a scratch SQLite database")
def test_migrations_match_models(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})

    done = migrate.upgrade(app)

    assert done[0] == "core"
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diffs = [d for d in compare_metadata(context, db.metadata)
                 if not str(d).count("_alembic_version")]
    assert diffs == []


def test_unknown_module_exits_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "run.py", "modules"],
        env={"ENABLED_MODULES": "no_such_module", "PATH": "",
             "INSTANCE_PATH": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no_such_module" in result.stderr
