"""« Mes documents » (coffre_blob: one stored file per content; coffre_document: a family's entry),
« Télécharger mes données » (data_export) and the drafts' retention warnings (draft_warning)

Revision ID: c0ffe14a7b31
Revises: b8d3f61c2a47
Create Date: 2026-12-07 07:20:00.000000
"""

from alembic import op
import sqlalchemy as sa

import engine.db


revision = "c0ffe14a7b31"
down_revision = "b8d3f61c2a47"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coffre_blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=100), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coffre_blob")),
        sa.UniqueConstraint("path", name=op.f("uq_coffre_blob_path")),
        sa.UniqueConstraint("sha256", name=op.f("uq_coffre_blob_sha256")),
    )
    op.create_table(
        "coffre_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["blob_id"], ["coffre_blob.id"], name=op.f("fk_coffre_document_blob_id_coffre_blob")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_coffre_document_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coffre_document")),
    )
    with op.batch_alter_table("coffre_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coffre_document_blob_id"), ["blob_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coffre_document_user_id"), ["user_id"], unique=False)
    op.create_table(
        "data_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("path", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ready_at", engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", engine.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_data_export_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_export")),
    )
    with op.batch_alter_table("data_export", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_export_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_export_user_id"), ["user_id"], unique=False)
    op.create_table(
        "draft_warning",
        sa.Column("instance_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("warned_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_draft_warning")),
    )


def downgrade() -> None:
    op.drop_table("draft_warning")
    with op.batch_alter_table("data_export", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_export_user_id"))
        batch_op.drop_index(batch_op.f("ix_data_export_status"))
    op.drop_table("data_export")
    with op.batch_alter_table("coffre_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coffre_document_user_id"))
        batch_op.drop_index(batch_op.f("ix_coffre_document_blob_id"))
    op.drop_table("coffre_document")
    op.drop_table("coffre_blob")
