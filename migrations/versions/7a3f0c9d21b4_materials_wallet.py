"""materials wallet: a citizen's files and e-licence numbers kept for reuse (issue #16)

Revision ID: 7a3f0c9d21b4
Revises: 5c1e8d2a9f30
Create Date: 2026-12-01 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3f0c9d21b4'
down_revision = '5c1e8d2a9f30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wallet_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('material_code', sa.String(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=True),
        sa.Column('stored_name', sa.String(length=64), nullable=True),
        sa.Column('content_type', sa.String(length=64), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('e_licence_number', sa.String(length=64), nullable=True),
        sa.Column('first_case_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'stored_name IS NOT NULL OR e_licence_number IS NOT NULL',
            name=op.f('ck_wallet_items_file_or_licence'),
        ),
        sa.ForeignKeyConstraint(
            ['first_case_id'], ['cases.id'], name=op.f('fk_wallet_items_first_case_id_cases')
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_wallet_items_user_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_items')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_wallet_items_stored_name')),
    )
    op.create_index(
        'ix_wallet_items_user', 'wallet_items', ['user_id', 'material_code'], unique=False
    )


def downgrade():
    op.drop_index('ix_wallet_items_user', table_name='wallet_items')
    op.drop_table('wallet_items')
