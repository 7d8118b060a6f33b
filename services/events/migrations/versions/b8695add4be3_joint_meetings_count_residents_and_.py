"""joint meetings count residents and others who attended

Revision ID: b8695add4be3
Revises: 1bcb20368c51
Create Date: 2026-12-03 13:46:09.878847
"""
from alembic import op
import sqlalchemy as sa


revision = 'b8695add4be3'
down_revision = '1bcb20368c51'
branch_labels = None
depends_on = None


def upgrade():
    # Meetings recorded before: nobody counted (0).
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_residents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('meeting_others', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('meeting_others')
        batch_op.drop_column('meeting_residents')
