"""Consistent backups of the embedded deployment: the SQLite file and the uploads.

SQLite's online backup API copies a consistent snapshot while the portal keeps
running; the uploads folder is archived next to it. PostgreSQL deployments use
pg_dump and pg_restore instead (README.md).
"""

import io
import json
import logging
import shutil
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

DATABASE_NAME = "portal.sqlite3"


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ValueError(
            "run.py backup handles the embedded SQLite database; "
            "use pg_dump for PostgreSQL (see README.md)"
        )
    return Path(parsed.database)


def backup(url: str, upload_folder: str, destination: Path) -> Path:
    """Write a .tar.gz holding a snapshot of the database and the uploads."""
    source = _sqlite_path(url)
    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / DATABASE_NAME
        with sqlite3.connect(source) as live, sqlite3.connect(snapshot) as copy:
            live.backup(copy)
        copy.close()
        manifest = {
            "created_at": datetime.now(UTC).isoformat(),
            "database": DATABASE_NAME,
            "uploads": "uploads",
        }
        destination.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(destination, "w:gz") as archive:
            archive.add(snapshot, arcname=DATABASE_NAME)
            if Path(upload_folder).is_dir():
                archive.add(upload_folder, arcname="uploads")
            data = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    log.info("backup written to %s", destination)
    return destination


def restore(url: str, upload_folder: str, archive_path: Path) -> None:
    """Replace the database and the uploads with those of a backup archive."""
    target = _sqlite_path(url)
    with (
        tempfile.TemporaryDirectory() as scratch,
        tarfile.open(archive_path, "r:gz") as archive,
    ):
        # The data filter refuses absolute paths, links and "..": a tampered
        # archive cannot write outside the scratch folder.
        archive.extractall(scratch, filter="data")
        snapshot = Path(scratch) / DATABASE_NAME
        if not snapshot.is_file():
            raise ValueError(f"{archive_path} holds no {DATABASE_NAME}")
        with sqlite3.connect(snapshot) as check:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValueError(f"the database in {archive_path} is damaged")
        check.close()
        with sqlite3.connect(snapshot) as copy, sqlite3.connect(target) as live:
            copy.backup(live)
        uploads = Path(scratch) / "uploads"
        if uploads.is_dir():
            shutil.rmtree(upload_folder, ignore_errors=True)
            shutil.copytree(uploads, upload_folder)
    log.info("restored from %s", archive_path)
