"""activity held at a facility: activity.facility_id

Revision ID: 7a2c5e9d1f48
Revises: e4f1a7c2b9d3
Create Date: 2026-12-07 06:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "7a2c5e9d1f48"
down_revision = "e4f1a7c2b9d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facility_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_activity_facility_id"), ["facility_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_facility_id_facility"),
            "facility",
            ["facility_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_activity_facility_id_facility"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_activity_facility_id"))
        batch_op.drop_column("facility_id")
