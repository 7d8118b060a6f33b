"""certificates follow the ledger: status, supersession and reissue links

Revision ID: 5c1e7a9d2f40
Revises: bff6e3d87ce9
Create Date: 2026-12-03 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5c1e7a9d2f40'
down_revision = 'bff6e3d87ce9'
branch_labels = None
depends_on = None


def upgrade():
    # Certificates issued before this revision were valid when issued: they start "valid".
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='valid'))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('superseded_reason', sa.String(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('superseded_by_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaces', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('replaced_by', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        for column in ('replaced_by', 'replaces', 'superseded_by_entry_id',
                       'superseded_reason', 'superseded_at', 'status'):
            batch_op.drop_column(column)
