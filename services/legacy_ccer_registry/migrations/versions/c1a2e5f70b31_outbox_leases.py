"""outbox leases: the relay that claimed a row holds it until claimed_until

Revision ID: c1a2e5f70b31
Revises: b7c1d2e3f4a5
Create Date: 2026-11-22 21:10:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'c1a2e5f70b31'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', shared.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
