"""notification: the mail template's extra parameters (donnees)

Revision ID: 7c3f9a2d41e6
Revises: 5b7e3c1a9f20
Create Date: 2026-11-27 05:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '7c3f9a2d41e6'
down_revision = '5b7e3c1a9f20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('donnees', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('donnees')
