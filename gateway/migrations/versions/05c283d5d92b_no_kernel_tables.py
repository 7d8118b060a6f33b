"""the gateway keeps no outbox, inbox or kernel_state: it neither emits nor consumes facts

Revision ID: 05c283d5d92b
Revises: 54b58d51faa1
Create Date: 2026-12-03 10:15:03.870081
"""
from alembic import op
import sqlalchemy as sa


revision = '05c283d5d92b'
down_revision = '54b58d51faa1'
branch_labels = None
depends_on = None


def upgrade():
    # Dropping a table drops its indexes (ix_outbox_pending) on SQLite and PostgreSQL.
    op.drop_table('outbox')
    op.drop_table('kernel_state')
    op.drop_table('inbox')


def downgrade():
    # The kernel tables exactly as the initial revision created them.
    op.create_table('inbox',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_inbox'))
    )
    op.create_table('kernel_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_kernel_state'))
    )
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('envelope', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['sent_at', 'seq'], unique=False)
