"""events belong to a series of the service menu (服务菜单)

Revision ID: 7a3c5e1b9d24
Revises: 322ea1143cbe
Create Date: 2026-12-04 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7a3c5e1b9d24'
down_revision = '322ea1143cbe'
branch_labels = None
depends_on = None


def upgrade():
    # Events scheduled before the menu existed belong to no series (null).
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_events_series_start', ['series', 'start'], unique=False)


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_series_start')
        batch_op.drop_column('series')
