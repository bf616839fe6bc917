"""Backup and restore of the embedded deployment keep every record and the chain."""

import os
import subprocess
import sys

import pytest

from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(
    is_postgres(), reason="SQLite backups; PostgreSQL uses pg_dump"
)


def run(args, env):
    return subprocess.run(
        [sys.executable, "run.py", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_restored_system_has_every_record_and_an_intact_chain(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "INSTANCE_PATH": str(instance), "ENABLED_MODULES": "none"}
    env.pop("DATABASE_URL", None)
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["demo"], env).returncode == 0
    (instance / "uploads" / "evidence.txt").write_text("证据材料")
    archive = tmp_path / "backup.tar.gz"

    assert run(["backup", str(archive)], env).returncode == 0
    run(
        [
            "user",
            "create",
            "after_backup",
            "--department",
            "430200",
            "--password",
            "a-long-enough-password",
        ],
        env,
    )
    (instance / "uploads" / "evidence.txt").unlink()
    restored = run(["restore", str(archive)], env)

    assert restored.returncode == 0, restored.stderr
    assert (instance / "uploads" / "evidence.txt").read_text() == "证据材料"
    verify = run(["audit", "verify"], env)
    assert verify.returncode == 0
    assert "intact" in verify.stdout
    import sqlite3

    with sqlite3.connect(instance / "portal.sqlite3") as connection:
        names = {r[0] for r in connection.execute("SELECT username FROM core_users")}
    assert "admin" in names
    assert "after_backup" not in names
