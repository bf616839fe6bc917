"""Migrating recorded draws from rows to compact values, and back."""

import pytest
from alembic import command
from sqlalchemy import text

from core import migrate
from core.app import create_app
from core.extensions import db
from modules.dual_random import services
from modules.dual_random.models import Draw
from tests.conftest import is_postgres

# Revision 0001, where a draw's targets and assignments are rows of their own.
ROWS = "a1c162bc89c3"
DRAWN = [(1, 40, "x"), (2, 10, "x"), (3, 30, "y")]
ASSIGNED = [(10, 7, 5), (10, 8, 6), (30, 9, 5), (30, 7, 6), (40, 8, 5), (40, 9, 6)]


def _migrate(app, revision: str, down: bool = False) -> None:
    """Bring every target to its head, and dual_random to `revision`."""
    targets = [("core", migrate.CORE_MIGRATIONS)] + [
        (module.name, module.migrations_dir())
        for module in app.extensions["registry"]
        if module.migrations_dir() is not None
    ]
    with app.app_context():
        for name, folder in targets:
            with db.engine.begin() as connection:
                config = migrate.alembic_config(app, name, folder, connection)
                if name != "dual_random":
                    command.upgrade(config, "heads")
                elif down:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)


def _draw_row(connection, draw_id: int, matched: bool) -> None:
    connection.execute(
        text(
            "INSERT INTO dual_random_draws (id, task_id, sequence, algorithm, seed, "
            "fingerprint, population_size, sample_size, parameters, snapshot, "
            "reason, drawn_at, drawn_by, match_input, created_at, updated_at) "
            "VALUES (:id, 1, :id, 'py-random-sample-v1', '1', '', 3, 3, '{}', "
            ":snapshot, '', '2026-01-01', '', :match_input, '2026-01-01', "
            "'2026-01-01')"
        ),
        {
            "id": draw_id,
            "snapshot": services.encode_snapshot([("", [10, 30, 40])]),
            "match_input": "{}" if matched else None,
        },
    )


@pytest.mark.skipif(is_postgres(), reason="runs on a scratch SQLite database")
def test_recorded_draws_survive_the_move_to_compact_values(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    _migrate(app, ROWS)
    with app.app_context(), db.engine.begin() as connection:
        _draw_row(connection, 1, matched=True)
        _draw_row(connection, 2, matched=False)
        for draw_id in (1, 2):
            for position, target, stratum in DRAWN:
                connection.execute(
                    text(
                        "INSERT INTO dual_random_drawn_targets "
                        "(draw_id, position, target_id, stratum) "
                        "VALUES (:d, :p, :t, :s)"
                    ),
                    {"d": draw_id, "p": position, "t": target, "s": stratum},
                )
        for target, inspector, department in ASSIGNED:
            connection.execute(
                text(
                    "INSERT INTO dual_random_assignments "
                    "(draw_id, target_id, inspector_id, department_id) "
                    "VALUES (1, :t, :i, :d)"
                ),
                {"t": target, "i": inspector, "d": department},
            )

    _migrate(app, "heads")

    with app.app_context():
        matched, unmatched = db.session.get(Draw, 1), db.session.get(Draw, 2)
        assert services.drawn_ids(matched) == [40, 10, 30]
        assert services.decode_snapshot(matched.drawn) == [
            ("x", [40, 10]),
            ("y", [30]),
        ]
        assert services.assignments_of(matched) == {
            40: [(8, 5), (9, 6)],
            10: [(7, 5), (8, 6)],
            30: [(9, 5), (7, 6)],
        }
        assert services.assignments_of(unmatched) == {}
        db.session.remove()

    _migrate(app, ROWS, down=True)

    with app.app_context(), db.engine.connect() as connection:
        drawn = connection.execute(
            text(
                "SELECT draw_id, position, target_id, stratum "
                "FROM dual_random_drawn_targets ORDER BY draw_id, position"
            )
        ).all()
        assigned = connection.execute(
            text(
                "SELECT target_id, inspector_id, department_id "
                "FROM dual_random_assignments ORDER BY id"
            )
        ).all()
    assert drawn == [(d, *row) for d in (1, 2) for row in DRAWN]
    assert assigned == ASSIGNED
