"""hours digest: hour entries waiting for their student's daily digest, the digests sent, the
placements' project titles

Revision ID: d3a7c1f2b9e4
Revises: a51fb02af558
Create Date: 2026-11-30 10:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd3a7c1f2b9e4'
down_revision = 'a51fb02af558'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('placement_projects',
    sa.Column('placement_id', sa.String(length=64), nullable=False),
    sa.Column('project_title', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('placement_id')
    )
    op.create_table('hour_entries',
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('student_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('placement_id', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('entry_id')
    )
    op.create_index('ix_hour_entries_day', 'hour_entries', ['day', 'student_id'], unique=False)
    op.create_table('digests',
    sa.Column('student_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('notification_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('student_id', 'day')
    )


def downgrade():
    op.drop_table('digests')
    op.drop_index('ix_hour_entries_day', table_name='hour_entries')
    op.drop_table('hour_entries')
    op.drop_table('placement_projects')
