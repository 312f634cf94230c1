"""agents' absences and the groups' automatic assignment policy

Revision ID: 5c7e2a9d41b3
Revises: e0346516fdf7
Create Date: 2026-11-27 05:00:00
"""

from alembic import op
import sqlalchemy as sa
import engine.db


revision = '5c7e2a9d41b3'
down_revision = "e0346516fdf7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tasks_moved_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_agent_absence_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_absence'))
    )
    with op.batch_alter_table('agent_absence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_absence_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('agent_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_policy', sa.String(length=20), server_default='aucune', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('agent_group', schema=None) as batch_op:
        batch_op.drop_column('assignment_policy')

    with op.batch_alter_table('agent_absence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_absence_user_id'))

    op.drop_table('agent_absence')
