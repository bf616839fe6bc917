"""draws keep their drawn list and assignments as compact values

A draw of 5% of a million targets wrote some 150,000 rows (drawn targets and
assignments); it now keeps each list as one compressed value on the draw, in
the format of its candidate snapshot: a JSON header, a newline, then 64-bit
little-endian integers, compressed with zlib. The drawn list's header holds
[stratum, count] per run of one stratum in draw order; the assignments' header
names the department of each seat, and the integers are each drawn target's
inspectors seat by seat, the targets in draw order.

Revision ID: f26863b54868
Revises: a1c162bc89c3
Create Date: 2026-12-03 19:17:46.011752
"""
import json
import sys
import zlib
from array import array
from itertools import groupby

from alembic import op
import sqlalchemy as sa


revision = 'f26863b54868'
down_revision = 'a1c162bc89c3'
branch_labels = None
depends_on = None

draws = sa.table(
    'dual_random_draws',
    sa.column('id', sa.Integer()),
    sa.column('drawn', sa.LargeBinary()),
    sa.column('assignments', sa.LargeBinary()),
)
drawn_targets = sa.table(
    'dual_random_drawn_targets',
    sa.column('draw_id', sa.Integer()),
    sa.column('position', sa.Integer()),
    sa.column('target_id', sa.Integer()),
    sa.column('stratum', sa.String()),
)
assignments = sa.table(
    'dual_random_assignments',
    sa.column('id', sa.Integer()),
    sa.column('draw_id', sa.Integer()),
    sa.column('target_id', sa.Integer()),
    sa.column('inspector_id', sa.Integer()),
    sa.column('department_id', sa.Integer()),
)


# The encoding as it stands at this revision, so later changes to the
# module's code do not change what this script writes or reads.
def _pack(header, ids):
    body = array('q', ids)
    if sys.byteorder != 'little':
        body.byteswap()
    return zlib.compress(json.dumps(header).encode() + b'\n' + body.tobytes(), 1)


def _unpack(blob):
    header, _, body = zlib.decompress(blob).partition(b'\n')
    ids = array('q')
    ids.frombytes(body)
    if sys.byteorder != 'little':
        ids.byteswap()
    return json.loads(header), ids.tolist()


def _compact(connection, draw_id):
    rows = connection.execute(
        sa.select(drawn_targets.c.target_id, drawn_targets.c.stratum)
        .where(drawn_targets.c.draw_id == draw_id)
        .order_by(drawn_targets.c.position)
    ).all()
    targets = [target for target, _stratum in rows]
    runs = [[key, len(list(run))] for key, run in groupby(s for _t, s in rows)]
    seats = {}
    for target, inspector, department in connection.execute(
        sa.select(
            assignments.c.target_id,
            assignments.c.inspector_id,
            assignments.c.department_id,
        )
        .where(assignments.c.draw_id == draw_id)
        .order_by(assignments.c.id)
    ):
        seats.setdefault(target, []).append((inspector, department))
    matched = None
    if seats:
        layout = [department for _i, department in seats.get(targets[0], [])]
        inspectors = []
        for target in targets:
            pairs = seats.get(target, [])
            if [department for _i, department in pairs] != layout:
                raise RuntimeError(
                    f'draw {draw_id}: target {target} has other seats than the '
                    'first target; the assignments cannot be kept as one value'
                )
            inspectors.extend(inspector for inspector, _d in pairs)
        matched = _pack(layout, inspectors)
    return {'drawn': _pack(runs, targets), 'assignments': matched}


def upgrade():
    with op.batch_alter_table('dual_random_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drawn', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('assignments', sa.LargeBinary(), nullable=True))

    connection = op.get_bind()
    for draw_id in connection.execute(sa.select(draws.c.id)).scalars().all():
        connection.execute(
            draws.update()
            .where(draws.c.id == draw_id)
            .values(**_compact(connection, draw_id))
        )

    with op.batch_alter_table('dual_random_draws', schema=None) as batch_op:
        batch_op.alter_column('drawn', existing_type=sa.LargeBinary(), nullable=False)

    op.drop_table('dual_random_assignments')
    op.drop_table('dual_random_drawn_targets')


def downgrade():
    op.create_table('dual_random_drawn_targets',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('draw_id', sa.INTEGER(), nullable=False),
    sa.Column('position', sa.INTEGER(), nullable=False),
    sa.Column('target_id', sa.INTEGER(), nullable=False),
    sa.Column('stratum', sa.VARCHAR(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dual_random_drawn_targets')),
    sa.UniqueConstraint('draw_id', 'position', name=op.f('uq_dual_random_drawn_targets_draw_id'))
    )
    op.create_table('dual_random_assignments',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('draw_id', sa.INTEGER(), nullable=False),
    sa.Column('target_id', sa.INTEGER(), nullable=False),
    sa.Column('inspector_id', sa.INTEGER(), nullable=False),
    sa.Column('department_id', sa.INTEGER(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dual_random_assignments')),
    sa.UniqueConstraint('draw_id', 'target_id', 'inspector_id', name=op.f('uq_dual_random_assignments_draw_id'))
    )

    connection = op.get_bind()
    stored = connection.execute(
        sa.select(draws.c.id, draws.c.drawn, draws.c.assignments)
    ).all()
    for draw_id, drawn, matched in stored:
        runs, targets = _unpack(drawn)
        strata = [key for key, count in runs for _ in range(count)]
        connection.execute(
            drawn_targets.insert(),
            [
                {
                    'draw_id': draw_id,
                    'position': position,
                    'target_id': target,
                    'stratum': stratum,
                }
                for position, (target, stratum) in enumerate(
                    zip(targets, strata), start=1
                )
            ],
        )
        if matched is None:
            continue
        layout, inspectors = _unpack(matched)
        width = len(layout)
        seats = {
            target: inspectors[n * width : (n + 1) * width]
            for n, target in enumerate(targets)
        }
        # In target order, as the rows were written before.
        connection.execute(
            assignments.insert(),
            [
                {
                    'draw_id': draw_id,
                    'target_id': target,
                    'inspector_id': inspector,
                    'department_id': department,
                }
                for target in sorted(seats)
                for inspector, department in zip(seats[target], layout)
            ],
        )

    with op.batch_alter_table('dual_random_draws', schema=None) as batch_op:
        batch_op.drop_column('assignments')
        batch_op.drop_column('drawn')
