"""family record: members, children, services, activities, enrolments; news

Revision ID: e4f1a7c2b9d3
Revises: 1df96924c288
Create Date: 2026-12-07 04:40:00.000000
"""

from alembic import op
import sqlalchemy as sa

import engine.db


revision = 'e4f1a7c2b9d3'
down_revision = '1df96924c288'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('family_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('updated_at', engine.db.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_family_record_service'), ['service', 'external_id']
        )
    op.create_table('family_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_record_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('last_name', sa.String(length=150), nullable=False),
    sa.Column('first_name', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['family_record_id'], ['family_record.id'], name=op.f('fk_family_member_family_record_id_family_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_member')),
    sa.UniqueConstraint('family_record_id', 'position', name=op.f('uq_family_member_family_record_id'))
    )
    op.create_table('child',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_record_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=50), nullable=True),
    sa.Column('last_name', sa.String(length=150), nullable=False),
    sa.Column('first_name', sa.String(length=150), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('school', sa.String(length=200), nullable=True),
    sa.Column('class_name', sa.String(length=50), nullable=True),
    sa.Column('updated_at', engine.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['family_record_id'], ['family_record.id'], name=op.f('fk_child_family_record_id_family_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child')),
    sa.UniqueConstraint('external_id', name=op.f('uq_child_external_id'))
    )
    op.create_index(op.f('ix_child_family_record_id'), 'child', ['family_record_id'], unique=False)
    op.create_table('child_service',
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_child_service_child_id_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('child_id', 'service', name=op.f('pk_child_service'))
    )
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('service', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity')),
    sa.UniqueConstraint('external_id', name=op.f('uq_activity_external_id'))
    )
    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_enrolment_activity_id_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_enrolment_child_id_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment')),
    sa.UniqueConstraint('child_id', 'activity_id', name=op.f('uq_enrolment_child_id'))
    )
    op.create_index(op.f('ix_enrolment_activity_id'), 'enrolment', ['activity_id'], unique=False)
    op.create_table('news_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=True),
    sa.Column('image_mime', sa.String(length=20), nullable=True),
    sa.Column('image_alt', sa.String(length=300), nullable=True),
    sa.Column('published_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', engine.db.UTCDateTime(), nullable=True),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('audience_service', sa.String(length=100), nullable=True),
    sa.Column('audience_activity_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', engine.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['audience_activity_id'], ['activity.id'], name=op.f('fk_news_item_audience_activity_id_activity'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_news_item_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_item'))
    )
    op.create_index('ix_news_item_published', 'news_item', ['published_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_news_item_published', table_name='news_item')
    op.drop_table('news_item')
    op.drop_index(op.f('ix_enrolment_activity_id'), table_name='enrolment')
    op.drop_table('enrolment')
    op.drop_table('activity')
    op.drop_table('child_service')
    op.drop_index(op.f('ix_child_family_record_id'), table_name='child')
    op.drop_table('child')
    op.drop_table('family_member')
    with op.batch_alter_table('family_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_family_record_service'), type_='unique')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('address')
        batch_op.drop_column('external_id')
