"""first-period offset forms (申请表) with their history and cancellation proofs, the cancellations
NCSC's daily records reported, the weekly summaries for NCSC; notices looked up by the unit's USCC

Revision ID: 4ebced2763cc
Revises: f6174d250d41
Create Date: 2026-11-22 18:31:26.763887
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '4ebced2763cc'
down_revision = 'f6174d250d41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('offset_form_summaries',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('period_code', sa.String(length=30), nullable=False),
    sa.Column('week_ending', sa.Date(), nullable=False),
    sa.Column('covers_from', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('covers_until', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('forms', sa.Integer(), nullable=False),
    sa.Column('requested_total', sa.BigInteger(), nullable=False),
    sa.Column('confirmed_total', sa.BigInteger(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('made_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offset_form_summaries')),
    sa.UniqueConstraint('province', 'period_code', 'week_ending', name=op.f('uq_offset_form_summaries_province_period_code_week_ending'))
    )
    with op.batch_alter_table('offset_form_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offset_form_summaries_period_code'), ['period_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_form_summaries_province'), ['province'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_form_summaries_week_ending'), ['week_ending'], unique=False)

    op.create_table('offset_forms',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('period_code', sa.String(length=30), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('unit_uscc', sa.String(length=18), nullable=False),
    sa.Column('notice_id', sa.String(length=60), nullable=False),
    sa.Column('obligation', sa.BigInteger(), nullable=False),
    sa.Column('requested_quantity', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('first_submitted_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('confirmed_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offset_forms')),
    sa.UniqueConstraint('unit_uscc', 'period_code', name=op.f('uq_offset_forms_unit_uscc_period_code'))
    )
    with op.batch_alter_table('offset_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offset_forms_confirmed_at'), ['confirmed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_forms_period_code'), ['period_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_forms_province'), ['province'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_forms_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_forms_summary_id'), ['summary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offset_forms_unit_uscc'), ['unit_uscc'], unique=False)

    op.create_table('recorded_cancellations',
    sa.Column('cancellation_id', sa.String(length=60), nullable=False),
    sa.Column('period_code', sa.String(length=30), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('holder_uscc', sa.String(length=18), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('legacy_account_id', sa.String(length=60), nullable=False),
    sa.Column('project_number', sa.String(length=60), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('cancelled_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('cancellation_id', name=op.f('pk_recorded_cancellations'))
    )
    with op.batch_alter_table('recorded_cancellations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recorded_cancellations_holder_uscc'), ['holder_uscc'], unique=False)
        batch_op.create_index(batch_op.f('ix_recorded_cancellations_period_code'), ['period_code'], unique=False)

    op.create_table('cancellation_proofs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['offset_forms.id'], name=op.f('fk_cancellation_proofs_form_id_offset_forms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cancellation_proofs')),
    sa.UniqueConstraint('form_id', 'sha256', name=op.f('uq_cancellation_proofs_form_id_sha256'))
    )
    with op.batch_alter_table('cancellation_proofs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cancellation_proofs_form_id'), ['form_id'], unique=False)

    op.create_table('offset_form_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.String(length=40), nullable=False),
    sa.Column('at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['offset_forms.id'], name=op.f('fk_offset_form_history_form_id_offset_forms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offset_form_history'))
    )
    with op.batch_alter_table('offset_form_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offset_form_history_form_id'), ['form_id'], unique=False)

    with op.batch_alter_table('issued_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_notices_account_uscc'), ['account_uscc'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('issued_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_notices_account_uscc'))

    with op.batch_alter_table('offset_form_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offset_form_history_form_id'))

    op.drop_table('offset_form_history')
    with op.batch_alter_table('cancellation_proofs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cancellation_proofs_form_id'))

    op.drop_table('cancellation_proofs')
    with op.batch_alter_table('recorded_cancellations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recorded_cancellations_period_code'))
        batch_op.drop_index(batch_op.f('ix_recorded_cancellations_holder_uscc'))

    op.drop_table('recorded_cancellations')
    with op.batch_alter_table('offset_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offset_forms_unit_uscc'))
        batch_op.drop_index(batch_op.f('ix_offset_forms_summary_id'))
        batch_op.drop_index(batch_op.f('ix_offset_forms_status'))
        batch_op.drop_index(batch_op.f('ix_offset_forms_province'))
        batch_op.drop_index(batch_op.f('ix_offset_forms_period_code'))
        batch_op.drop_index(batch_op.f('ix_offset_forms_confirmed_at'))

    op.drop_table('offset_forms')
    with op.batch_alter_table('offset_form_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offset_form_summaries_week_ending'))
        batch_op.drop_index(batch_op.f('ix_offset_form_summaries_province'))
        batch_op.drop_index(batch_op.f('ix_offset_form_summaries_period_code'))

    op.drop_table('offset_form_summaries')
