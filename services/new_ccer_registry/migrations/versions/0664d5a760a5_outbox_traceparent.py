"""outbox traceparent: the W3C trace context of the work that wrote the row, sent with the event

Revision ID: 0664d5a760a5
Revises: 5b5a41427ad4
Create Date: 2026-12-08 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0664d5a760a5'
down_revision = '5b5a41427ad4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traceparent', sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('traceparent')
