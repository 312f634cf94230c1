"""queues: denormalised columns on human_task, requester name, claims, saved filters

Revision ID: 5b7e3c1a9f20
Revises: 5c1e0a7b9d42
Create Date: 2026-11-27 04:50:00
"""

import unicodedata

from alembic import op
import sqlalchemy as sa
import engine.db


revision = '5b7e3c1a9f20'
down_revision = "5c1e0a7b9d42"
branch_labels = None
depends_on = None


def _search_text(reference, name):
    # A copy of engine.queues.search_text as it was when this revision was written.
    raw = f"{reference or ''} {name or ''}".strip()
    decomposed = unicodedata.normalize("NFKD", raw)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()[:400]


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requester_name', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('demarche_key', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('requester_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('search_text', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('assignee_name', sa.String(length=150), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', engine.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_human_task_queue_created', ['lane', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_human_task_queue_due', ['lane', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_human_task_queue_requester', ['lane', 'state', 'requester_name'], unique=False)
        batch_op.create_index('ix_human_task_queue_reference', ['lane', 'state', 'instance_id'], unique=False)
        batch_op.create_index('ix_human_task_queue_demarche', ['lane', 'state', 'demarche_key'], unique=False)
        batch_op.create_index('ix_human_task_queue_status', ['lane', 'state', 'status_label'], unique=False)
        batch_op.create_index('ix_human_task_queue_assignee', ['lane', 'state', 'assignee_name'], unique=False)
        batch_op.create_index('ix_human_task_queue_filters', ['lane', 'state', 'assignee_id', 'demarche_key', 'status_label', 'due_at', 'search_text', 'created_at'], unique=False)
        batch_op.create_index('ix_human_task_assignee_state', ['assignee_id', 'state', 'created_at'], unique=False)

    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_saved_filter_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_filter_user_id'))
    )

    # Existing rows: the names as the account shows them now, the démarche of each task.
    full_name = "COALESCE(NULLIF(TRIM(u.prenom || ' ' || u.nom), ''), u.username)"
    op.execute(
        "UPDATE process_instance SET requester_name = COALESCE((SELECT "  # noqa: S608
        + full_name
        + " FROM user_account u WHERE u.id = process_instance.requester_id), '')"
    )
    op.execute(
        "UPDATE human_task SET assignee_name = (SELECT "  # noqa: S608
        + full_name
        + " FROM user_account u WHERE u.id = human_task.assignee_id) WHERE assignee_id IS NOT NULL"
    )
    op.execute(
        "UPDATE human_task SET "
        "requester_name = (SELECT i.requester_name FROM process_instance i WHERE i.id = human_task.instance_id), "
        "demarche_key = (SELECT d.key FROM process_instance i JOIN process_definition d "
        "ON d.id = i.definition_id WHERE i.id = human_task.instance_id)"
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT t.id, i.reference, t.requester_name FROM human_task t "
            "JOIN process_instance i ON i.id = t.instance_id"
        )
    ).all()
    if rows:
        connection.execute(
            sa.text("UPDATE human_task SET search_text = :text WHERE id = :id"),
            [{"id": row[0], "text": _search_text(row[1], row[2])} for row in rows],
        )


def downgrade() -> None:
    op.drop_table('saved_filter')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_assignee_state')
        batch_op.drop_index('ix_human_task_queue_filters')
        batch_op.drop_index('ix_human_task_queue_assignee')
        batch_op.drop_index('ix_human_task_queue_status')
        batch_op.drop_index('ix_human_task_queue_demarche')
        batch_op.drop_index('ix_human_task_queue_reference')
        batch_op.drop_index('ix_human_task_queue_requester')
        batch_op.drop_index('ix_human_task_queue_due')
        batch_op.drop_index('ix_human_task_queue_created')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('assignee_name')
        batch_op.drop_column('search_text')
        batch_op.drop_column('requester_name')
        batch_op.drop_column('demarche_key')

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('requester_name')
