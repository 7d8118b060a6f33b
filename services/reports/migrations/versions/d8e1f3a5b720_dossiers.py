"""dossiers: evaluation dossier (评估台账) builds, their state and progress

Revision ID: d8e1f3a5b720
Revises: c7d29e667344
Create Date: 2026-12-03 17:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd8e1f3a5b720'
down_revision = 'c7d29e667344'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dossiers',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('params', sa.Text(), nullable=False),
                    sa.Column('requested_by', sa.String(length=64), nullable=False),
                    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('stage', sa.String(length=64), nullable=False),
                    sa.Column('done', sa.Integer(), nullable=False),
                    sa.Column('total', sa.Integer(), nullable=False),
                    sa.Column('summary', sa.Text(), nullable=True),
                    sa.Column('error', sa.Text(), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')))


def downgrade():
    op.drop_table('dossiers')
