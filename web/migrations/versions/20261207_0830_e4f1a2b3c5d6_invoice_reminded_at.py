"""Invoices: `reminded_at`, when the family was told that the invoice became late (once per invoice)

Revision ID: e4f1a2b3c5d6
Revises: b8d4f2a6c913
Create Date: 2026-12-07 08:30:00.000000
"""

from alembic import op
import sqlalchemy as sa

import engine.db


revision = "e4f1a2b3c5d6"
down_revision = "b8d4f2a6c913"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", engine.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
