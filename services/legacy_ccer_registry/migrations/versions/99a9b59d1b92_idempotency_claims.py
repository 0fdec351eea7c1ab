"""idempotency claims: the request that claimed a key holds it until locked_until (its claim id in claim)

Revision ID: 99a9b59d1b92
Revises: d5f0b3a7c9e1
Create Date: 2026-12-07 23:55:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '99a9b59d1b92'
down_revision = 'd5f0b3a7c9e1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('locked_until', shared.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('claim')
