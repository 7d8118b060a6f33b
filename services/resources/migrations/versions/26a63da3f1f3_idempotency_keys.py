"""idempotency keys: a write's key and answer, kept to answer a client's retry

Revision ID: 26a63da3f1f3
Revises: 3b7d2e9c41a5
Create Date: 2026-12-03 13:16:20.968475
"""
from alembic import op

from common.migrate import create_idempotency_table, drop_idempotency_table


revision = '26a63da3f1f3'
down_revision = '3b7d2e9c41a5'
branch_labels = None
depends_on = None


def upgrade():
    create_idempotency_table(op)


def downgrade():
    drop_idempotency_table(op)
