"""sync applications await the new registry's answer: status widened, answered_at, legacy_sync_id;
cancellations count the quantity in transit; 'approved' forms (synced under the old flow) are 'synced'

Revision ID: d4e8a1c2b9f0
Revises: 99a9b59d1b92
Create Date: 2026-12-07 23:50:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'd4e8a1c2b9f0'
down_revision = '99a9b59d1b92'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_applications', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=30))
        batch_op.add_column(sa.Column('answered_at', shared.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('legacy_sync_id', sa.String(length=40), nullable=True))
    op.execute("UPDATE sync_applications SET status = 'synced' WHERE status = 'approved'")
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_transit', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_cancellations_in_transit_within_claimed'), 'in_transit >= 0 AND in_transit <= claimed'
        )


def downgrade() -> None:
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.drop_constraint('ck_cancellations_in_transit_within_claimed', type_='check')
        batch_op.drop_column('in_transit')
    op.execute(
        "UPDATE sync_applications SET status = 'approved' WHERE status IN ('synced', 'awaiting_new_registry')"
    )
    op.execute("UPDATE sync_applications SET status = 'rejected' WHERE status = 'refused_by_new_registry'")
    with op.batch_alter_table('sync_applications', schema=None) as batch_op:
        batch_op.drop_column('legacy_sync_id')
        batch_op.drop_column('answered_at')
        batch_op.alter_column('status', existing_type=sa.String(length=30), type_=sa.String(length=20))
