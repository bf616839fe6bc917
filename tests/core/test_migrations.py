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
        diffs = [
            d
            for d in compare_metadata(context, db.metadata)
            if not str(d).count("_alembic_version")
        ]
    assert diffs == []


def test_unknown_module_exits_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "run.py", "modules"],
        env={
            "ENABLED_MODULES": "no_such_module",
            "PATH": "",
            "INSTANCE_PATH": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no_such_module" in result.stderr


@pytest.mark.skipif(is_postgres(), reason="runs on a scratch SQLite database")
def test_one_enabled_module_brings_only_itself(tmp_path):
    script = (
        "import json\n"
        "from core.app import create_app\n"
        "from core import migrate\n"
        "from core.extensions import db\n"
        "from sqlalchemy import inspect\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': "
        f"'sqlite:///{tmp_path / 'one.sqlite3'}'}})\n"
        "migrate.upgrade(app)\n"
        "client = app.test_client()\n"
        "with app.app_context():\n"
        "    tables = inspect(db.engine).get_table_names()\n"
        "print(json.dumps({\n"
        "    'tables': tables,\n"
        "    'modules': [m.name for m in app.extensions['registry']],\n"
        "    'other_api': client.get('/api/v1/dual-random/tasks').status_code,\n"
        "    'other_portal': client.get('/admin/dual_random_tasks/').status_code,\n"
        "}))\n"
    )
    env = {
        "ENABLED_MODULES": "firefighter_benefits",
        "PATH": "",
        "INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    answer = json.loads(result.stdout.strip().splitlines()[-1])

    assert answer["modules"] == ["firefighter_benefits"]
    assert any(t.startswith("firefighter_benefits_") for t in answer["tables"])
    others = (
        "quality_award_",
        "approval_reform_",
        "it_projects_",
        "safety_assessment_",
        "dual_random_",
    )
    assert not [t for t in answer["tables"] if t.startswith(others)]
    assert answer["other_api"] == 404
    assert answer["other_portal"] == 404
