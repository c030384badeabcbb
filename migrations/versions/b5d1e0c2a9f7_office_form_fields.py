"""office form fields: a field that names an office of the catalogue (its department and the
region field it follows)

Revision ID: b5d1e0c2a9f7
Revises: b121dc11a090
Create Date: 2026-12-02 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1e0c2a9f7'
down_revision = 'b121dc11a090'
branch_labels = None
depends_on = None

OLD = ("type IN ('text', 'textarea', 'select', 'date', 'integer', 'money', 'phone', "
       "'resident_id', 'region')")
NEW = ("type IN ('text', 'textarea', 'select', 'date', 'integer', 'money', 'phone', "
       "'resident_id', 'region', 'office')")


def upgrade():
    with op.batch_alter_table('service_fields', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('region_field', sa.String(length=64), nullable=True))
        batch_op.drop_constraint(op.f('ck_service_fields_type'), type_='check')
        batch_op.create_check_constraint('type', NEW)


def downgrade():
    # office fields go back to free text (the stored answers are office codes)
    op.execute("UPDATE service_fields SET type = 'text' WHERE type = 'office'")
    with op.batch_alter_table('service_fields', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_fields_type'), type_='check')
        batch_op.create_check_constraint('type', OLD)
        batch_op.drop_column('region_field')
        batch_op.drop_column('department_code')
