"""The command line: serve, scheduler, db, demo, modules, users, tokens, audit."""

import getpass
import logging
import os
import sys

import click

from core.registry import ModuleError

log = logging.getLogger("run")


def _app(overrides=None):
    from core.app import create_app

    try:
        return create_app(overrides)
    except (ModuleError, RuntimeError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _cli_actor():
    from core.context import Actor

    return Actor(kind="cli", name=f"cli:{getpass.getuser()}")


@click.group()
def cli():
    """Zhuzhou municipal policy portal."""


@cli.command()
@click.option("--host", default=os.environ.get("HOST", "127.0.0.1"))
@click.option("--port", default=int(os.environ.get("PORT", "5000")), type=int)
def serve(host, port):
    """Serve the portal (with the scheduler inside, unless SCHEDULER_IN_WEB=false)."""
    app = _app()
    if app.config["SCHEDULER_IN_WEB"]:
        from core import scheduler

        scheduler.start(app)
    click.echo(f"Serving the portal at http://{host}:{port}/admin/", err=True)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@cli.command("scheduler")
def scheduler_command():
    """Run a scheduler process (any number may share one PostgreSQL database)."""
    from core import scheduler

    app = _app()
    scheduler.run_forever(app)


@cli.group("db")
def db_group():
    """Database migrations."""


@db_group.command("upgrade")
def db_upgrade():
    """Migrate the core and every enabled module, then seed the calendar."""
    from core import calendar, migrate
    from core.context import acting_as
    from core.extensions import db

    app = _app()
    done = migrate.upgrade(app)
    with app.app_context(), acting_as(_cli_actor()):
        added = calendar.seed_from_package()
        db.session.commit()
    click.echo(f"migrated: {', '.join(done)}; calendar years added: {added}")


@db_group.command("current")
def db_current():
    """Show each module's current revision."""
    from core import migrate

    for name, head in migrate.current(_app()).items():
        click.echo(f"{name}: {head}")


@db_group.command("revision")
@click.argument("module")
@click.option("-m", "--message", required=True)
def db_revision(module, message):
    """Autogenerate the next migration of MODULE (or "core")."""
    from core import migrate

    path = migrate.revision(_app, module, message)
    click.echo(f"wrote {path}")


@cli.command()
def demo():
    """Load demo data (departments, users, organisations, module records)."""
    from core.demo import DEMO_PASSWORD, load_demo

    app = _app()
    with app.app_context():
        load_demo()
    click.echo(f"demo data ready; sign in as admin / {DEMO_PASSWORD}")


@cli.command("modules")
def list_modules():
    """List available modules and whether each is enabled."""
    from core.registry import available_modules

    app = _app()
    enabled = app.extensions["registry"]
    for name in sorted(available_modules()):
        mark = "enabled" if name in enabled else "disabled"
        version = enabled.by_name[name].version if name in enabled else ""
        click.echo(f"{name:24} {mark:9} {version}")


@cli.group("user")
def user_group():
    """Users."""


@user_group.command("create")
@click.argument("username")
@click.option("--department", "department_code", required=True, help="department code")
@click.option("--role", "role_names", multiple=True)
@click.option("--full-name", default="")
@click.password_option()
def user_create(username, department_code, role_names, full_name, password):
    """Create a user in a department with roles."""
    from sqlalchemy import select

    from core.context import acting_as
    from core.directory import create_user, department_by_code
    from core.errors import PortalError
    from core.extensions import db
    from core.models.users import Role

    app = _app()
    with app.app_context(), acting_as(_cli_actor()):
        department = department_by_code(department_code)
        if department is None:
            raise click.BadParameter(f"no department with code {department_code}")
        roles = db.session.scalars(select(Role).where(Role.name.in_(role_names))).all()
        missing = set(role_names) - {r.name for r in roles}
        if missing:
            raise click.BadParameter(f"unknown role(s): {', '.join(sorted(missing))}")
        try:
            create_user(username, password, department, roles, full_name)
        except PortalError as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
    click.echo(f"user {username} created")


@cli.group("token")
def token_group():
    """API tokens."""


@token_group.command("create")
@click.argument("username")
@click.argument("name")
def token_create(username, name):
    """Create an API token for USERNAME; the token is printed once."""
    from sqlalchemy import select

    from core.context import acting_as
    from core.extensions import db
    from core.models.users import ApiToken, User

    app = _app()
    with app.app_context(), acting_as(_cli_actor()):
        user = db.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise click.BadParameter(f"no user {username}")
        token, plain = ApiToken.issue(user, name)
        db.session.add(token)
        db.session.commit()
    click.echo(plain)


@token_group.command("revoke")
@click.argument("prefix")
def token_revoke(prefix):
    """Revoke every active token whose prefix is PREFIX."""
    from sqlalchemy import select

    from core.context import acting_as
    from core.extensions import db
    from core.models.users import ApiToken

    app = _app()
    with app.app_context(), acting_as(_cli_actor()):
        tokens = db.session.scalars(
            select(ApiToken).where(
                ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None)
            )
        ).all()
        for token in tokens:
            token.revoke()
        db.session.commit()
    click.echo(f"revoked {len(tokens)} token(s)")


@cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
def backup_command(destination):
    """Back up the SQLite database and the uploads to DESTINATION (.tar.gz)."""
    from pathlib import Path

    from core import backup

    app = _app()
    try:
        path = backup.backup(
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["UPLOAD_FOLDER"],
            Path(destination),
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {path}")


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def restore_command(archive):
    """Restore the SQLite database and the uploads from a backup ARCHIVE."""
    from pathlib import Path

    from core import backup

    app = _app()
    try:
        backup.restore(
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["UPLOAD_FOLDER"],
            Path(archive),
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored from {archive}")


@cli.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("verify")
def audit_verify():
    """Walk the hash chain and report the first entry that does not match."""
    from core import audit

    app = _app()
    with app.app_context():
        result = audit.verify_chain()
    if result.checked == 0 and result.intact:
        click.echo("the audit log is empty; nothing to verify")
        return
    if result.intact:
        click.echo(f"the audit chain is intact: {result.checked} entries checked")
        return
    click.echo(
        f"the audit chain is broken at entry #{result.bad_seq}: {result.reason} "
        f"({result.checked} entries before it are intact)",
        err=True,
    )
    sys.exit(1)


if __name__ == "__main__":
    cli()
