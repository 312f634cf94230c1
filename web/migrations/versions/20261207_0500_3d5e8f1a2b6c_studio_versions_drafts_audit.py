"""studio: comment of a published version, the analysts' drafts and the publication audit trail

Revision ID: 3d5e8f1a2b6c
Revises: 9e4b2c7d1a53
Create Date: 2026-12-07 05:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

from engine.db import UTCDateTime


revision = '3d5e8f1a2b6c'
down_revision = '9e4b2c7d1a53'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=False, server_default=''))
    op.create_table(
        'studio_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=False),
        sa.Column('bpmn_xml', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'key'),
    )
    with op.batch_alter_table('studio_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_studio_draft_user_id'), ['user_id'], unique=False)
    op.create_table(
        'studio_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=150), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('from_version', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('studio_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_studio_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_studio_audit_key'), ['key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('studio_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_studio_audit_key'))
        batch_op.drop_index(batch_op.f('ix_studio_audit_at'))
    op.drop_table('studio_audit')
    with op.batch_alter_table('studio_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_studio_draft_user_id'))
    op.drop_table('studio_draft')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('comment')
