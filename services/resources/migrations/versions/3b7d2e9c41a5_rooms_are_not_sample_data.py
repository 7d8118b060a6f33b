"""the station's rooms are not sample data: venues lose their sample flag

Revision ID: 3b7d2e9c41a5
Revises: 9708f303449c
Create Date: 2026-12-03 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '3b7d2e9c41a5'
down_revision = '9708f303449c'
branch_labels = None
depends_on = None


def upgrade():
    # Rooms loaded on a first start were flagged as sample data; they are the station's
    # real rooms, so the flag goes and clearing sample data never touches them.
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('sample')


def downgrade():
    # Which rooms came with the first start is not known any more: all come back as
    # real rooms (not sample).
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sample', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
