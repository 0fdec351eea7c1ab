"""first-period offset registrations, holding movements

Offset registrations (抵销登记) now also record generated offset CCER of the first period (seed 001
第七步): ``kind`` ("lot" for every existing row), ``lot_id`` nullable, and the generated instrument,
its creation request and NCSC's cancellation record (id, quantity, serial ranges). The offset CCER
an approved application surrendered before this revision are registered here from their surrender
rows, so the registrations of a notice add up to its registered CCER.

``holding_movements`` (持仓流水): one row per change of a holding from now on; the holdings as they
stand are the opening balance (earlier changes were not journalled).

Revision ID: b7e2c91d4a10
Revises: ed5f8decf73a
Create Date: 2026-12-08 00:10:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.ids import new_id


revision = 'b7e2c91d4a10'
down_revision = 'ed5f8decf73a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offset_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='lot', nullable=False))
        batch_op.alter_column('lot_id', existing_type=sa.String(length=60), nullable=True)
        batch_op.add_column(sa.Column('instrument', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('offset_ccer_request_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('cancellation_id', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('source_quantity', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('source_serial_ranges', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_offset_registrations_instrument'), ['instrument'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_registrations_cancellation_id'), ['cancellation_id'], unique=False)
        batch_op.create_index('ix_offset_registrations_kind_registered', ['kind', 'registered_at'], unique=False)

    op.create_table('holding_movements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('instrument', sa.String(length=30), nullable=False),
    sa.Column('holding', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('registry_after', sa.BigInteger(), nullable=False),
    sa.Column('frozen_after', sa.BigInteger(), nullable=False),
    sa.Column('trading_after', sa.BigInteger(), nullable=False),
    sa.Column('at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reference', sa.JSON(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_holding_movements_quantity_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holding_movements'))
    )
    with op.batch_alter_table('holding_movements', schema=None) as batch_op:
        batch_op.create_index('ix_holding_movements_account_instrument', ['account_id', 'instrument', 'id'], unique=False)

    _register_surrendered_offset_ccer()


def _register_surrendered_offset_ccer() -> None:
    """One registration per offset-CCER item surrendered before this revision (none on a new database)."""
    conn = op.get_bind()
    s = sa.table(
        'surrenders', *(sa.column(c) for c in ('id', 'application_id', 'revision', 'item', 'account_id',
                                                 'notice_id', 'kind', 'instrument', 'quantity')),
        sa.column('surrendered_at', shared.db.UTCDateTime(timezone=True)),
    )
    i = sa.table('instruments', sa.column('code'), sa.column('project', sa.JSON), sa.column('request_id'))
    r = sa.table(
        'offset_ccer_requests', sa.column('id'), sa.column('cancellation_id'), sa.column('quantity'),
        sa.column('serial_ranges', sa.JSON), sa.column('cancelled_at', shared.db.UTCDateTime(timezone=True)),
    )
    n = sa.table('notices', sa.column('id'), sa.column('period_code'))
    a = sa.table('accounts', sa.column('id'), sa.column('province'))
    rows = conn.execute(
        sa.select(s, i.c.project, r.c.id.label('request_id'), r.c.cancellation_id, r.c.quantity.label('source_quantity'),
                  r.c.serial_ranges, r.c.cancelled_at, n.c.period_code, a.c.province)
        .select_from(s.join(i, i.c.code == s.c.instrument).join(r, r.c.id == i.c.request_id)
                     .join(n, n.c.id == s.c.notice_id).join(a, a.c.id == s.c.account_id))
        .where(s.c.kind == 'offset_ccer')
    ).mappings().all()
    if not rows:
        return
    reg = sa.table(
        'offset_registrations',
        *(sa.column(c) for c in ('id', 'application_id', 'revision', 'item', 'notice_id', 'period_code', 'account_id',
                                 'province', 'kind', 'lot_id', 'origin', 'quantity', 'cancelled_quantity', 'instrument',
                                 'offset_ccer_request_id', 'cancellation_id', 'source_quantity')),
        sa.column('project', sa.JSON), sa.column('serial_ranges', sa.JSON), sa.column('cancel_serial_ranges', sa.JSON),
        sa.column('source_serial_ranges', sa.JSON),
        sa.column('registered_at', shared.db.UTCDateTime(timezone=True)),
        sa.column('cancelled_at', shared.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(reg, [
        {
            'id': new_id('REG'), 'application_id': row['application_id'], 'revision': row['revision'],
            'item': row['item'], 'notice_id': row['notice_id'], 'period_code': row['period_code'],
            'account_id': row['account_id'], 'province': row['province'], 'kind': 'offset_ccer', 'lot_id': None,
            'project': row['project'] or {}, 'origin': 'offset_ccer', 'quantity': row['quantity'],
            'registered_at': row['surrendered_at'], 'cancelled_quantity': row['quantity'],
            'cancelled_at': row['cancelled_at'], 'cancel_serial_ranges': None, 'serial_ranges': None,
            'instrument': row['instrument'], 'offset_ccer_request_id': row['request_id'],
            'cancellation_id': row['cancellation_id'], 'source_quantity': row['source_quantity'],
            'source_serial_ranges': row['serial_ranges'],
        }
        for row in rows
    ])


def downgrade() -> None:
    with op.batch_alter_table('holding_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_holding_movements_account_instrument')
    op.drop_table('holding_movements')
    op.execute("DELETE FROM offset_registrations WHERE kind = 'offset_ccer'")
    with op.batch_alter_table('offset_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_offset_registrations_kind_registered')
        batch_op.drop_index(batch_op.f('ix_offset_registrations_cancellation_id'))
        batch_op.drop_index(batch_op.f('ix_offset_registrations_instrument'))
        batch_op.drop_column('source_serial_ranges')
        batch_op.drop_column('source_quantity')
        batch_op.drop_column('cancellation_id')
        batch_op.drop_column('offset_ccer_request_id')
        batch_op.drop_column('instrument')
        batch_op.alter_column('lot_id', existing_type=sa.String(length=60), nullable=False)
        batch_op.drop_column('kind')
