"""a user's token version: tokens issued before a password change or a disabling are refused

Revision ID: 2124ef5a1390
Revises: 05c283d5d92b
Create Date: 2026-12-03 13:27:09.823359
"""
from alembic import op
import sqlalchemy as sa


revision = '2124ef5a1390'
down_revision = '05c283d5d92b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')

