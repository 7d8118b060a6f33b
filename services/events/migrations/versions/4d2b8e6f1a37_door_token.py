"""events carry a random door check-in token (the QR at the door)

Revision ID: 4d2b8e6f1a37
Revises: b8695add4be3
Create Date: 2026-12-05 09:00:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '4d2b8e6f1a37'
down_revision = 'b8695add4be3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('door_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('uq_events_door_token', ['door_token'])
    # Events scheduled before the door code existed get one of their own.
    events = sa.table('events', sa.column('id', sa.Integer),
                      sa.column('door_token', sa.String))
    bind = op.get_bind()
    for (event_id,) in bind.execute(sa.select(events.c.id)).all():
        bind.execute(events.update().where(events.c.id == event_id)
                     .values(door_token=secrets.token_urlsafe(16)))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_events_door_token', type_='unique')
        batch_op.drop_column('door_token')
