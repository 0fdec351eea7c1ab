"""the province's record of how it handled each unit that did not surrender in time (seed 001 二)

Revision ID: b7d2e91f4a60
Revises: 5e5e34b60495
Create Date: 2026-12-07 23:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'b7d2e91f4a60'
down_revision = '5e5e34b60495'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('overdue_handlings',
    sa.Column('notice_id', sa.String(length=60), nullable=False),
    sa.Column('period_code', sa.String(length=30), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('recorded_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('notice_id', name=op.f('pk_overdue_handlings'))
    )
    with op.batch_alter_table('overdue_handlings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overdue_handlings_period_code'), ['period_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_overdue_handlings_province'), ['province'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('overdue_handlings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overdue_handlings_province'))
        batch_op.drop_index(batch_op.f('ix_overdue_handlings_period_code'))

    op.drop_table('overdue_handlings')
