"""outbox: the due index leads with the channel (« is anything due » ignores the other channels' rows)

The claim asks for the pending rows of the channels this process sends (SMS only when no mail server
is configured) that are due now. With (status, next_attempt_at) SQLite and PostgreSQL walked every
pending mail of an unsent channel to find them: the outbox job's cost grew with that backlog.
(status, channel, next_attempt_at) answers with a range per channel. The rows a worker claimed are
read back by their claim token: a partial index on the (few) claimed rows.

Revision ID: b8d4f2a6c913
Revises: c0ffe14a7b31
Create Date: 2026-12-07 07:30:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "b8d4f2a6c913"
down_revision = "c0ffe14a7b31"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_status_next")
        batch_op.create_index("ix_outbox_message_due", ["status", "channel", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_outbox_message_claim",
            ["claim_token"],
            unique=False,
            sqlite_where=sa.text("claim_token IS NOT NULL"),
            postgresql_where=sa.text("claim_token IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_claim")
        batch_op.drop_index("ix_outbox_message_due")
        batch_op.create_index("ix_outbox_message_status_next", ["status", "next_attempt_at"], unique=False)
