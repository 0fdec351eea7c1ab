"""legacy sync parts: a legacy cancellation may come in over several syncs, each serial once

The legacy registry lets a cancellation record be synced in parts over several forms. The synced
cancellations were keyed on the cancellation id alone (one sync each), which refused every part
after the first and left its units unsyncable. They are now keyed on (cancellation id, sync id),
each row a part with its quantity (backfilled from the units it brought in) and, when the legacy
registry sent it, the cancellation's whole quantity. No serial comes in twice: the serials of a
part must not be in the registry already (checked against the issuances' ranges).

Revision ID: 5b5a41427ad4
Revises: 1b0f7eb3a24d
Create Date: 2026-12-08 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5b5a41427ad4'
down_revision = '1b0f7eb3a24d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('legacy_sync_parts',
    sa.Column('cancellation_id', sa.String(length=60), nullable=False),
    sa.Column('sync_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('cancellation_quantity', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_legacy_sync_parts_quantity_positive')),
    sa.ForeignKeyConstraint(['sync_id'], ['legacy_syncs.id'], name=op.f('fk_legacy_sync_parts_sync_id_legacy_syncs')),
    sa.PrimaryKeyConstraint('cancellation_id', 'sync_id', name=op.f('pk_legacy_sync_parts'))
    )
    with op.batch_alter_table('legacy_sync_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legacy_sync_parts_sync_id'), ['sync_id'], unique=False)
    # Each cancellation synced so far was one part: its quantity is what its sync brought in of it.
    op.execute(
        "INSERT INTO legacy_sync_parts (cancellation_id, sync_id, quantity, cancellation_quantity) "
        "SELECT i.cancellation_id, i.legacy_sync_id, SUM(i.quantity), NULL FROM issuances i "
        "JOIN legacy_synced_cancellations c ON c.cancellation_id = i.cancellation_id AND c.sync_id = i.legacy_sync_id "
        "GROUP BY i.cancellation_id, i.legacy_sync_id"
    )
    with op.batch_alter_table('legacy_synced_cancellations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legacy_synced_cancellations_sync_id'))
    op.drop_table('legacy_synced_cancellations')


def downgrade() -> None:
    op.create_table('legacy_synced_cancellations',
    sa.Column('cancellation_id', sa.String(length=60), nullable=False),
    sa.Column('sync_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['sync_id'], ['legacy_syncs.id'], name=op.f('fk_legacy_synced_cancellations_sync_id_legacy_syncs')),
    sa.PrimaryKeyConstraint('cancellation_id', name=op.f('pk_legacy_synced_cancellations'))
    )
    with op.batch_alter_table('legacy_synced_cancellations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legacy_synced_cancellations_sync_id'), ['sync_id'], unique=False)
    # One row per cancellation can hold only its first part (by sync id) of several.
    op.execute(
        "INSERT INTO legacy_synced_cancellations (cancellation_id, sync_id) "
        "SELECT cancellation_id, MIN(sync_id) FROM legacy_sync_parts GROUP BY cancellation_id"
    )
    with op.batch_alter_table('legacy_sync_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legacy_sync_parts_sync_id'))
    op.drop_table('legacy_sync_parts')
