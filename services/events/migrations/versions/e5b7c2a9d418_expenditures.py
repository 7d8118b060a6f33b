"""expenditures (money spent on the contract's budget lines) and the running total of each
budget line of each project year

Revision ID: e5b7c2a9d418
Revises: 9e4a7c2b5d18
Create Date: 2026-12-03 16:38:07.695793
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5b7c2a9d418'
down_revision = '9e4a7c2b5d18'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget_spending',
    sa.Column('project_year', sa.Integer(), nullable=False),
    sa.Column('budget_line', sa.String(length=32), nullable=False),
    sa.Column('spent_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('project_year', 'budget_line', name=op.f('pk_budget_spending'))
    )
    op.create_table('expenditures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('project_year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('budget_line', sa.String(length=32), nullable=False),
    sa.Column('plan', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('payee', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('receipt_attachment_id', sa.Integer(), nullable=True),
    sa.Column('over_budget', sa.Boolean(), nullable=False),
    sa.Column('override_reason', sa.String(length=200), nullable=True),
    sa.Column('overridden_by', sa.String(length=64), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_expenditures_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenditures'))
    )
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.create_index('ix_expenditures_event', ['event_id'], unique=False)
        batch_op.create_index('ix_expenditures_spent_on', ['spent_on', 'id'], unique=False)
        batch_op.create_index('ix_expenditures_year_line', ['project_year', 'budget_line', 'spent_on'], unique=False)



def downgrade():
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.drop_index('ix_expenditures_year_line')
        batch_op.drop_index('ix_expenditures_spent_on')
        batch_op.drop_index('ix_expenditures_event')

    op.drop_table('expenditures')
    op.drop_table('budget_spending')
