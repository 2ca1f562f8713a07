"""enrolments: registry's confirmation that a student may apply

Revision ID: 5b2d7e8f9a10
Revises: 3b7e0c5d9a41
Create Date: 2026-11-30 09:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5b2d7e8f9a10'
down_revision = '3b7e0c5d9a41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'enrolments',
        sa.Column('student_id', sa.String(length=64), nullable=False),
        sa.Column('university_id', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('student_id'),
        sa.CheckConstraint("status IN ('pending', 'confirmed', 'refused')", name='status_is_enrolment_status'),
    )


def downgrade():
    op.drop_table('enrolments')
