"""The accession agreements students signed, with their CMS and verification evidence

Revision ID: 7d1e5a90c3b2
Revises: 7d3e5a1b9c20
Create Date: 2026-11-30 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7d1e5a90c3b2'
down_revision = '7d3e5a1b9c20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agreement_signatures',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('student_id', sa.String(length=32), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('signer_iin', sa.String(length=12), nullable=False),
        sa.Column('signer_name', sa.String(length=200), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['student_id'], ['students.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
        sa.UniqueConstraint('student_id', 'version'),
    )
    op.create_index('ix_agreement_signatures_student_id', 'agreement_signatures', ['student_id'])


def downgrade():
    op.drop_index('ix_agreement_signatures_student_id', table_name='agreement_signatures')
    op.drop_table('agreement_signatures')
