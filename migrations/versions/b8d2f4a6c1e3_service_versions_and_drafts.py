"""service versions and drafts: cases keep the version of the service they were filed under

Revision ID: b8d2f4a6c1e3
Revises: a7c3e1f0b2d4
Create Date: 2026-12-01 04:20:00.000000

service_versions holds each published version of a service frozen (its services.json
document); service_drafts an admin's unpublished edit. services.version is the version the
live rows hold and cases.service_version the one a case was filed under: both start at 1 for
existing rows (the backfill), and the live rows stand for version 1 until the first publish
freezes them into service_versions. Materials' notes and fields' help get English.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b8d2f4a6c1e3'
down_revision = 'a7c3e1f0b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'service_versions',
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('published_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by'], ['users.id']),
        sa.PrimaryKeyConstraint('service_id', 'version'),
    )
    op.create_table(
        'service_drafts',
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('based_on', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id']),
        sa.PrimaryKeyConstraint('code'),
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('service_version', sa.Integer(), server_default='1', nullable=False)
        )
    with op.batch_alter_table('service_materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_en', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('service_fields', schema=None) as batch_op:
        batch_op.add_column(sa.Column('help_en', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('service_fields', schema=None) as batch_op:
        batch_op.drop_column('help_en')
    with op.batch_alter_table('service_materials', schema=None) as batch_op:
        batch_op.drop_column('note_en')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('service_version')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('version')
    op.drop_table('service_drafts')
    op.drop_table('service_versions')
