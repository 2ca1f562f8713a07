"""Students' enrolment, confirmed or refused by their university's registrar, and roster entries

Revision ID: e3a9c1d04f6b
Revises: a7cda23c5dad
Create Date: 2026-11-30 09:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e3a9c1d04f6b'
down_revision = 'a7cda23c5dad'
branch_labels = None
depends_on = None


def upgrade():
    # Students registered before enrolment was checked are pending: their registrar confirms them.
    op.add_column('students', sa.Column('enrolment_status', sa.String(length=16), server_default='pending',
                                        nullable=False))
    op.add_column('students', sa.Column('enrolment_reason', sa.Text(), nullable=True))
    op.add_column('students', sa.Column('enrolment_decided_by', sa.String(length=32), nullable=True))
    op.add_column('students', sa.Column('enrolment_decided_by_name', sa.String(length=200), nullable=True))
    op.add_column('students', sa.Column('enrolment_decided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('students', sa.Column('enrolment_version', sa.Integer(), server_default='0', nullable=False))
    op.create_index(op.f('ix_students_enrolment_status'), 'students', ['enrolment_status'], unique=False)
    op.create_table(
        'roster_entries',
        sa.Column('university_id', sa.String(length=32), nullable=False),
        sa.Column('iin', sa.String(length=12), nullable=False),
        sa.Column('added_by', sa.String(length=32), nullable=False),
        sa.Column('added_by_name', sa.String(length=200), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['university_id'], ['universities.id'], ),
        sa.PrimaryKeyConstraint('university_id', 'iin'),
    )


def downgrade():
    op.drop_table('roster_entries')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_enrolment_status'))
        for column in ('enrolment_version', 'enrolment_decided_at', 'enrolment_decided_by_name',
                       'enrolment_decided_by', 'enrolment_reason', 'enrolment_status'):
            batch_op.drop_column(column)
