"""students keep their IIN, for the registrar's CSV of re-counts

Revision ID: 7d4e2b1a9c63
Revises: c9aab4f95901
Create Date: 2026-11-30 09:55:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '7d4e2b1a9c63'
down_revision = 'c9aab4f95901'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.add_column(sa.Column('iin', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_column('iin')
