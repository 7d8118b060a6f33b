"""recurring bookings: a series record, its occurrences linked to it

Revision ID: f6d57002cee3
Revises: 3b7d2e9c41a5
Create Date: 2026-12-03 13:17:18.204479
"""
from alembic import op
import sqlalchemy as sa


revision = 'f6d57002cee3'
down_revision = '3b7d2e9c41a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('rrule', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('exdates', sa.JSON(), nullable=False),
    sa.Column('first_start_at', sa.DateTime(), nullable=False),
    sa.Column('first_end_at', sa.DateTime(), nullable=False),
    sa.Column('last_start_at', sa.DateTime(), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('booked_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_booking_series_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_series'))
    )
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_series_venue_id'), ['venue_id'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_bookings_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bookings_series_id_booking_series'), 'booking_series', ['series_id'], ['id'])



def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bookings_series_id_booking_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bookings_series_id'))
        batch_op.drop_column('series_id')

    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_series_venue_id'))

    op.drop_table('booking_series')
