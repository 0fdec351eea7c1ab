"""outbox traceparent: the W3C trace context of the work that wrote the row, sent with the event

Revision ID: 017c9d984c3c
Revises: b7d2e91f4a60
Create Date: 2026-12-08 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '017c9d984c3c'
down_revision = 'b7d2e91f4a60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traceparent', sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('traceparent')
