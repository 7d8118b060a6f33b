"""idempotency keys: a write's key and answer, kept to answer a client's retry

Revision ID: 624f0a3fbcf8
Revises: 5c1e7a9d2f40
Create Date: 2026-12-03 13:16:24.529018
"""
from alembic import op

from common.migrate import create_idempotency_table, drop_idempotency_table


revision = '624f0a3fbcf8'
down_revision = '5c1e7a9d2f40'
branch_labels = None
depends_on = None


def upgrade():
    create_idempotency_table(op)


def downgrade():
    drop_idempotency_table(op)
