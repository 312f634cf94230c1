"""outbox: claim token, channel health, worker heartbeats

Revision ID: 9e4b2c7d1a53
Revises: 7c3f9a2d41e6
Create Date: 2026-12-07 04:30:00.000000
"""

from alembic import op
import sqlalchemy as sa

import engine.db


revision = '9e4b2c7d1a53'
down_revision = '7c3f9a2d41e6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
    op.create_table(
        'outbox_channel_state',
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('failing_since', engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('alerted_at', engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_outbox_channel_state')),
    )
    op.create_table(
        'worker_heartbeat',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('seen_at', engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat')),
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeat')
    op.drop_table('outbox_channel_state')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
