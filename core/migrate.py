"""Alembic per module: each module keeps its own script folder and version table.

``upgrade`` migrates the core and then every enabled module, in dependency
order; a module enabled later is migrated in by the next ``upgrade``.
``revision`` autogenerates a module's next script against a scratch SQLite
database brought to the current heads, so it never depends on a developer's
local data.
"""

import logging
import shutil
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

from core.extensions import db
from core.models.base import UTCDateTime

log = logging.getLogger(__name__)

CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _targets(app: Flask) -> list[tuple[str, Path]]:
    targets = [("core", CORE_MIGRATIONS)]
    for module in app.extensions["registry"]:
        folder = module.migrations_dir()
        if folder is not None:
            targets.append((module.name, folder))
    return targets


def alembic_config(app: Flask, name: str, folder: Path, connection=None) -> Config:
    """An Alembic configuration for one target (the core or a module)."""
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.attributes.update(
        app=app,
        prefix=f"{name}_",
        connection=connection,
        version_table=f"{name}_alembic_version",
    )
    return config


def upgrade(app: Flask) -> list[str]:
    """Bring the core and every enabled module to their newest revision."""
    done = []
    with app.app_context():
        for name, folder in _targets(app):
            with db.engine.begin() as connection:
                command.upgrade(alembic_config(app, name, folder, connection), "heads")
            done.append(name)
            log.info("migrated %s", name)
    return done


def current(app: Flask) -> dict[str, str]:
    """Each target's current revision."""
    from alembic.runtime.migration import MigrationContext

    heads = {}
    with app.app_context(), db.engine.connect() as connection:
        for name, _folder in _targets(app):
            context = MigrationContext.configure(
                connection, opts={"version_table": f"{name}_alembic_version"}
            )
            heads[name] = ",".join(context.get_current_heads()) or "(none)"
    return heads


def revision(app_factory, name: str, message: str) -> Path:
    """Autogenerate the next migration of `name` (the core or a module)."""
    scratch = Path(tempfile.mkdtemp()) / "scratch.sqlite3"
    app = app_factory({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}"})
    registry = app.extensions["registry"]
    if name == "core":
        folder = CORE_MIGRATIONS
    elif name in registry:
        folder = registry.by_name[name].path / "migrations"
    else:
        raise SystemExit(f"unknown or disabled module: {name}")
    if not (folder / "env.py").exists():
        (folder / "versions").mkdir(parents=True, exist_ok=True)
        shutil.copy(CORE_MIGRATIONS / "env.py", folder / "env.py")
        shutil.copy(CORE_MIGRATIONS / "script.py.mako", folder / "script.py.mako")

    upgrade(app)
    with app.app_context(), db.engine.begin() as connection:
        config = alembic_config(app, name, folder, connection)
        script = command.revision(config, message=message, autogenerate=True)
    return Path(script.path)


def render_item(type_, obj, autogen_context):
    """Render the project's column types as plain SQLAlchemy types in scripts."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_env() -> None:
    """The body of every migrations/env.py."""
    from alembic import context

    config = context.config
    app = config.attributes["app"]
    prefix = config.attributes["prefix"]

    def include_object(obj, name, type_, reflected, compare_to):
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = getattr(table, "name", name) or ""
        if table_name.endswith("_alembic_version"):
            return False
        return table_name.startswith(prefix)

    def configure(connection):
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            version_table=config.attributes["version_table"],
            include_object=include_object,
            render_item=render_item,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    with app.app_context():
        connection = config.attributes.get("connection")
        if connection is not None:
            configure(connection)
        else:
            with db.engine.begin() as owned:
                configure(owned)
