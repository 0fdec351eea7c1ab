"""trading accounts before the registry account

A legacy exchange opens the trading account on its own approval (交易账户开立申请材料由旧有CCER交易机构
审核通过后完成交易账户开户), before NCSC opens the registry account: a trading account belongs to the unit
(holder_uscc, one per exchange) and is attached to its registry account once that is opened.

Revision ID: d5f0b3a7c9e1
Revises: c1a2e5f70b31
Create Date: 2026-12-08 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f0b3a7c9e1'
down_revision = 'c1a2e5f70b31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trading_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder_uscc', sa.String(length=18), nullable=True))
    op.execute(
        "UPDATE trading_accounts SET holder_uscc = "
        "(SELECT accounts.holder_uscc FROM accounts WHERE accounts.id = trading_accounts.account_id)"
    )
    with op.batch_alter_table('trading_accounts', schema=None) as batch_op:
        batch_op.alter_column('holder_uscc', existing_type=sa.String(length=18), nullable=False)
        batch_op.alter_column('account_id', existing_type=sa.String(length=40), nullable=True)
        batch_op.create_index(batch_op.f('ix_trading_accounts_holder_uscc'), ['holder_uscc'], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_trading_accounts_holder_uscc_exchange'), ['holder_uscc', 'exchange']
        )


def downgrade() -> None:
    op.execute("DELETE FROM trading_accounts WHERE account_id IS NULL")
    with op.batch_alter_table('trading_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_trading_accounts_holder_uscc_exchange'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_trading_accounts_holder_uscc'))
        batch_op.alter_column('account_id', existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_column('holder_uscc')
