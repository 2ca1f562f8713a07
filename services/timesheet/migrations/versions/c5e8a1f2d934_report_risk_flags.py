"""Risk flags of completion reports, and the reports sampled for manual review

Revision ID: c5e8a1f2d934
Revises: b7d3f0c6a215
Create Date: 2026-11-30 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c5e8a1f2d934'
down_revision = 'b7d3f0c6a215'
branch_labels = None
depends_on = None


def upgrade():
    # Reports submitted before flags existed count as unflagged and unsampled.
    with op.batch_alter_table('reports') as batch_op:
        batch_op.add_column(sa.Column('flag_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('sampled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_reports_flag_count'), ['flag_count'], unique=False)
    op.create_table(
        'report_flags',
        sa.Column('report_id', sa.String(length=32), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id']),
        sa.PrimaryKeyConstraint('report_id', 'code'),
    )
    op.create_index(op.f('ix_report_flags_code'), 'report_flags', ['code'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_report_flags_code'), table_name='report_flags')
    op.drop_table('report_flags')
    with op.batch_alter_table('reports') as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_flag_count'))
        batch_op.drop_column('sampled')
        batch_op.drop_column('flag_count')
