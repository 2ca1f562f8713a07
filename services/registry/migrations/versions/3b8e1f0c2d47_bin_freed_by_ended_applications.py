"""A BIN is unique among live organisations only (a rejected or withdrawn application frees it);
a student's birth date and sex are unknown for a test CA's identity

Revision ID: 3b8e1f0c2d47
Revises: bc175d067202
Create Date: 2026-11-30 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '3b8e1f0c2d47'
down_revision = 'bc175d067202'
branch_labels = None
depends_on = None

LIVE = sa.text("status NOT IN ('rejected', 'withdrawn')")
# SQLite's UNIQUE(bin) has no name: the convention names it for batch mode to drop it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_bin_name():
    return "organisations_bin_key" if op.get_bind().dialect.name == "postgresql" else "uq_organisations_bin"


def upgrade():
    with op.batch_alter_table('organisations', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_unique_bin_name(), type_='unique')
    op.create_index('uq_organisations_live_bin', 'organisations', ['bin'], unique=True,
                    postgresql_where=LIVE, sqlite_where=LIVE)
    with op.batch_alter_table('students') as batch_op:
        batch_op.alter_column('birth_date', existing_type=sa.Date(), nullable=True)
        batch_op.alter_column('sex', existing_type=sa.String(length=8), nullable=True)


def downgrade():
    with op.batch_alter_table('students') as batch_op:
        batch_op.alter_column('sex', existing_type=sa.String(length=8), nullable=False)
        batch_op.alter_column('birth_date', existing_type=sa.Date(), nullable=False)
    op.drop_index('uq_organisations_live_bin', table_name='organisations')
    with op.batch_alter_table('organisations', naming_convention=NAMING) as batch_op:
        batch_op.create_unique_constraint(_unique_bin_name(), ['bin'])
