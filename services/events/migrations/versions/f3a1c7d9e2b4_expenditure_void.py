"""an expenditure can be voided (作废): when, by whom and why

Revision ID: f3a1c7d9e2b4
Revises: e5b7c2a9d418
Create Date: 2026-12-03 20:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a1c7d9e2b4'
down_revision = 'e5b7c2a9d418'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by')
        batch_op.drop_column('voided_at')
