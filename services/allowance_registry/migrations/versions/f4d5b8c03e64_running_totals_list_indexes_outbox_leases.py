"""provincial notices keep the running total of their enterprise notices; composite indexes for the
lists' filters; outbox leases (the relay that claimed a row holds it until claimed_until)

Revision ID: f4d5b8c03e64
Revises: e9c03f018e6d
Create Date: 2026-11-22 21:15:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'f4d5b8c03e64'
down_revision = 'e9c03f018e6d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', shared.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table('provincial_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_total', sa.BigInteger(), server_default='0', nullable=False))
    op.execute(
        "UPDATE provincial_notices SET issued_total = (SELECT COALESCE(SUM(n.obligation), 0) FROM notices n "
        "WHERE n.period_code = provincial_notices.period_code AND n.province = provincial_notices.province)"
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_province_issued', ['province', 'issued_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_notices_period_province_issued', ['period_code', 'province', 'issued_at', 'id'], unique=False
        )
        batch_op.create_index('ix_notices_province_status', ['province', 'status'], unique=False)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_province_created', ['province', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_applications_province_status', ['province', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_province_status')
        batch_op.drop_index('ix_applications_province_created')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_province_status')
        batch_op.drop_index('ix_notices_period_province_issued')
        batch_op.drop_index('ix_notices_province_issued')
    with op.batch_alter_table('provincial_notices', schema=None) as batch_op:
        batch_op.drop_column('issued_total')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
