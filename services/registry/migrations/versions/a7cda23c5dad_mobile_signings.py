"""Signing sessions for eGov Mobile's QR signing

Revision ID: a7cda23c5dad
Revises: 7d1e5a90c3b2
Create Date: 2026-11-30 07:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7cda23c5dad'
down_revision = '7d1e5a90c3b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mobile_signings',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('link_digest', sa.String(length=64), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=True),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=True),
        sa.Column('agreement_version', sa.String(length=32), nullable=True),
        sa.Column('agreement_language', sa.String(length=2), nullable=True),
        sa.Column('placement_id', sa.String(length=32), nullable=True),
        sa.Column('organisation_id', sa.String(length=32), nullable=True),
        sa.Column('staff_id', sa.String(length=32), nullable=True),
        sa.Column('signable_since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signature', sa.Text(), nullable=True),
        sa.Column('signer_name', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('link_digest'),
    )
    with op.batch_alter_table('mobile_signings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mobile_signings_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mobile_signings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mobile_signings_expires_at'))
    op.drop_table('mobile_signings')
