"""Completion reports signed by EDS: the verified signer on the report, each submission's PDF, CMS
and verification evidence

Revision ID: a4c2e7d91f03
Revises: e99b6bbc0a5f
Create Date: 2026-11-30 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a4c2e7d91f03'
down_revision = 'e99b6bbc0a5f'
branch_labels = None
depends_on = None

SIGNER_COLUMNS = (('signer_name', sa.String(length=200)), ('signer_iin', sa.String(length=12)),
                  ('signer_role', sa.String(length=32)), ('signer_bin', sa.String(length=12)),
                  ('signed_at', sa.DateTime(timezone=True)))


def upgrade():
    with op.batch_alter_table('reports') as batch_op:
        for name, kind in SIGNER_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        'report_signatures',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('report_id', sa.String(length=32), nullable=False),
        sa.Column('submission', sa.Integer(), nullable=False),
        sa.Column('document', sa.LargeBinary(), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('report_id', 'submission'),
    )
    op.create_index('ix_report_signatures_report_id', 'report_signatures', ['report_id'])


def downgrade():
    op.drop_index('ix_report_signatures_report_id', table_name='report_signatures')
    op.drop_table('report_signatures')
    with op.batch_alter_table('reports') as batch_op:
        for name, _ in reversed(SIGNER_COLUMNS):
            batch_op.drop_column(name)
