"""« Où les demandes attendent » for timers and automatic steps: element_passage (one row each time a
request passes a timer or a service, script or business-rule task)

Revision ID: d4e1a9b7c205
Revises: e4f1a2b3c5d6
Create Date: 2026-12-07 08:30:00.000000
"""

from alembic import op
import sqlalchemy as sa

import engine.db


revision = "d4e1a9b7c205"
down_revision = "e4f1a2b3c5d6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "element_passage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("demarche_key", sa.String(length=100), nullable=False),
        sa.Column("element_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_element_passage_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_element_passage")),
    )
    with op.batch_alter_table("element_passage", schema=None) as batch_op:
        batch_op.create_index(
            "ix_element_passage_demarche_created", ["demarche_key", "created_at"], unique=False
        )
        batch_op.create_index("ix_element_passage_instance_state", ["instance_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("element_passage", schema=None) as batch_op:
        batch_op.drop_index("ix_element_passage_instance_state")
        batch_op.drop_index("ix_element_passage_demarche_created")
    op.drop_table("element_passage")
