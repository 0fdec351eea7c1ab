"""binding sequence

Each binding carries its number among the account's bindings (1, 2, 3...): the newest binding is the
highest number, even when two were requested at one simulated instant. Existing bindings are
numbered by (requested_at, id), the order the service used before.

Revision ID: b7e1d0c4a9f2
Revises: d2b3f6a81c42
Create Date: 2026-11-22 21:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e1d0c4a9f2'
down_revision = 'd2b3f6a81c42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE bindings SET seq = (SELECT count(*) FROM bindings AS b WHERE b.registry_account_id = "
        "bindings.registry_account_id AND (b.requested_at < bindings.requested_at OR "
        "(b.requested_at = bindings.requested_at AND b.id <= bindings.id)))"
    )
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_bindings_registry_account_id_seq'), ['registry_account_id', 'seq'])


def downgrade() -> None:
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bindings_registry_account_id_seq'), type_='unique')
        batch_op.drop_column('seq')
