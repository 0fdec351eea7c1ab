"""daily cancellation records: when each record went out in NCSC's 17:00 batch

Revision ID: b7c1d2e3f4a5
Revises: 0af99bd19e68
Create Date: 2026-11-22 16:05:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'b7c1d2e3f4a5'
down_revision = '0af99bd19e68'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announced_at', shared.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cancellations_announced_at'), ['announced_at'], unique=False)
    # Records made before this revision were announced at once by the code of the time.
    op.execute("UPDATE cancellations SET announced_at = cancelled_at")


def downgrade() -> None:
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cancellations_announced_at'))
        batch_op.drop_column('announced_at')
