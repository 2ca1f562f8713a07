"""Check-in by the site's code: which code made each end of an attendance, and the codes used

Revision ID: b7d3f0c6a215
Revises: a4c2e7d91f03
Create Date: 2026-11-30 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d3f0c6a215'
down_revision = 'a4c2e7d91f03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendance') as batch_op:
        batch_op.add_column(sa.Column('checked_in_with', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('checked_out_with', sa.String(length=16), nullable=True))
    op.create_table(
        'check_in_code_uses',
        sa.Column('student_id', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('site_id', sa.String(length=64), nullable=False),
        sa.Column('window', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('attendance_id', sa.String(length=32), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['attendance_id'], ['attendance.id']),
        sa.PrimaryKeyConstraint('student_id', 'action', 'kind', 'site_id', 'window'),
    )


def downgrade():
    op.drop_table('check_in_code_uses')
    with op.batch_alter_table('attendance') as batch_op:
        batch_op.drop_column('checked_out_with')
        batch_op.drop_column('checked_in_with')
