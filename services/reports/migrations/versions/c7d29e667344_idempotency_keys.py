"""idempotency keys: a write's key and answer, kept to answer a client's retry

Revision ID: c7d29e667344
Revises: c3d5e7f90a12
Create Date: 2026-12-03 13:16:28.386927
"""
from alembic import op

from common.migrate import create_idempotency_table, drop_idempotency_table


revision = 'c7d29e667344'
down_revision = 'c3d5e7f90a12'
branch_labels = None
depends_on = None


def upgrade():
    create_idempotency_table(op)


def downgrade():
    drop_idempotency_table(op)
