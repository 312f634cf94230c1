"""The account's language (« fr » or « en »): pages and mails in it (web/core/i18n.py)

Revision ID: 5b7e2c9a41d3
Revises: d4e1a9b7c205
Create Date: 2026-12-07 10:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "5b7e2c9a41d3"
down_revision = "d4e1a9b7c205"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("langue", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("langue")
