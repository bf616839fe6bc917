"""the gate registry's change log

Each server process keeps the credentials and venues that gate checks read,
and reloads what changed from this log: one row per changed firefighter (or
one for the venues), its id taken in commit order.

Revision ID: 7c3e91d0a5b2
Revises: f19411e922c8
Create Date: 2026-12-04 17:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7c3e91d0a5b2'
down_revision = 'f19411e922c8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'firefighter_benefits_gate_changes',
        sa.Column(
            'id',
            sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
            nullable=False,
        ),
        sa.Column('firefighter_id', sa.Integer(), nullable=True),
        sa.Column('venues', sa.Boolean(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_firefighter_benefits_gate_changes')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('firefighter_benefits_gate_changes', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_firefighter_benefits_gate_changes_recorded_at'),
            ['recorded_at'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('firefighter_benefits_gate_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firefighter_benefits_gate_changes_recorded_at'))
    op.drop_table('firefighter_benefits_gate_changes')
