"""outbox traceparent: the W3C trace context of the work that wrote the row, sent with the event

Revision ID: de464108c0db
Revises: d4e8a1c2b9f0
Create Date: 2026-12-08 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'de464108c0db'
down_revision = 'd4e8a1c2b9f0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traceparent', sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('traceparent')
