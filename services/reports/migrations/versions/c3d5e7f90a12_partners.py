"""partners: each partner's current five-society category and status (五社 coverage)

Revision ID: c3d5e7f90a12
Revises: b7c2d4e6f801
Create Date: 2026-12-03 13:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d5e7f90a12'
down_revision = 'b7c2d4e6f801'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partners',
                    sa.Column('generation', sa.Integer(), nullable=False),
                    sa.Column('partner_id', sa.BigInteger(), nullable=False),
                    sa.Column('five_society', sa.String(length=32), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('as_of', sa.String(length=40), nullable=False),
                    sa.PrimaryKeyConstraint('generation', 'partner_id'))


def downgrade():
    op.drop_table('partners')
