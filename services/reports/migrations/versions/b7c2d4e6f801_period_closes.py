"""period closes: months marked reported (月报已报送) with the report as sent

Revision ID: b7c2d4e6f801
Revises: e1a4ef1fd5a6
Create Date: 2026-12-03 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c2d4e6f801'
down_revision = 'e1a4ef1fd5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('period_closes',
                    sa.Column('period', sa.String(length=7), nullable=False),
                    sa.Column('closed_at', sa.String(length=40), nullable=False),
                    sa.Column('closed_by', sa.String(length=64), nullable=False),
                    sa.Column('report', sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint('period'))


def downgrade():
    op.drop_table('period_closes')
