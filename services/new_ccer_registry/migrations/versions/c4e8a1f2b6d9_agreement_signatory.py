"""agreement signatory

Who signed the trading entry agreement of a joint account application (material 12): the legal
representative / person in charge, or an authorised person (who then brings materials 15 and 16).
Existing applications were signed by the legal representative.

Revision ID: c4e8a1f2b6d9
Revises: b7e1d0c4a9f2
Create Date: 2026-12-07 23:55:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a1f2b6d9'
down_revision = 'b7e1d0c4a9f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account_applications', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('agreement_signed_by', sa.String(length=30), server_default='legal_representative', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('account_applications', schema=None) as batch_op:
        batch_op.drop_column('agreement_signed_by')
