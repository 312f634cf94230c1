"""catalogue: human_task.draft, process_instance.submitted_at, reference_counter (DEM-<year>-<n>)

Revision ID: 5c1e0a7b9d42
Revises: 5c7e2a9d41b3
Create Date: 2026-11-27 04:50:00.000000
"""

from alembic import op
import sqlalchemy as sa
import engine.db


revision = '5c1e0a7b9d42'
down_revision = "5c7e2a9d41b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reference_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reference_counter'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_at', engine.db.UTCDateTime(timezone=True), nullable=True))
    # Requests whose family already sent a step were filed when they were created.
    op.execute(
        "UPDATE process_instance SET submitted_at = created_at WHERE id IN "
        "(SELECT instance_id FROM human_task WHERE lane = 'Famille' AND state = 'completed')"
    )
    # Existing references were DEM-<year>-<instance id>: the counters start after the highest of each year.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT reference FROM process_instance WHERE reference LIKE 'DEM-%'")
    ).scalars()
    highest: dict[int, int] = {}
    for reference in rows:
        parts = reference.split('-')
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            year, number = int(parts[1]), int(parts[2])
            highest[year] = max(highest.get(year, 0), number)
    counters = sa.table('reference_counter', sa.column('year', sa.Integer), sa.column('last_number', sa.Integer))
    if highest:
        op.bulk_insert(counters, [{'year': y, 'last_number': n} for y, n in sorted(highest.items())])


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('submitted_at')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('draft')
    op.drop_table('reference_counter')
