"""consultations (意见征集) and residents' answers

Revision ID: 5c2d8e4f1a63
Revises: 4d2b8e6f1a37
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5c2d8e4f1a63'
down_revision = '4d2b8e6f1a37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'consultations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('compounds', sa.JSON(), nullable=False),
        sa.Column('opens_on', sa.Date(), nullable=False),
        sa.Column('closes_on', sa.Date(), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations')))
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_closes_on', ['closes_on', 'id'], unique=False)
    op.create_table(
        'consultation_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'],
                                name=op.f('fk_consultation_answers_consultation_id_consultations')),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                                name=op.f('fk_consultation_answers_resident_id_residents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_answers')),
        sa.UniqueConstraint('consultation_id', 'resident_id',
                            name=op.f('uq_consultation_answers_consultation_id')))


def downgrade():
    op.drop_table('consultation_answers')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_closes_on')
    op.drop_table('consultations')
