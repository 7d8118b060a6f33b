"""idempotency keys: a write's key and answer, kept to answer a client's retry

Revision ID: 1bcb20368c51
Revises: 7a3c5e1b9d24
Create Date: 2026-12-03 13:16:17.142189
"""
from alembic import op

from common.migrate import create_idempotency_table, drop_idempotency_table


revision = '1bcb20368c51'
down_revision = '7a3c5e1b9d24'
branch_labels = None
depends_on = None


def upgrade():
    create_idempotency_table(op)


def downgrade():
    drop_idempotency_table(op)
