"""idempotency keys: a write's key and answer, kept to answer a client's retry

Revision ID: 26a63da3f1f3
Revises: f6d57002cee3
Create Date: 2026-12-03 13:16:20.968475
"""
from alembic import op

from common.migrate import create_idempotency_table, drop_idempotency_table


revision = '26a63da3f1f3'
down_revision = 'f6d57002cee3'
branch_labels = None
depends_on = None


def upgrade():
    create_idempotency_table(op)


def downgrade():
    drop_idempotency_table(op)
