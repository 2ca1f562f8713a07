"""projects, applications, interview slots, placements, accredited sites

Revision ID: f12c0c233016
Revises: f9d6487f291d
Create Date: 2026-11-25 08:00:48.529175
"""
from alembic import op
import sqlalchemy as sa


revision = 'f12c0c233016'
down_revision = 'f9d6487f291d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sites',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=False),
    sa.Column('directions', sa.JSON(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('site_id', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('direction', sa.String(length=32), nullable=False),
    sa.Column('voucher_kind', sa.String(length=8), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('places_held', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('schedule', sa.String(length=500), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('languages', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint('places_held >= 0 AND places_held <= places', name='places_held_in_range'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_status'), ['status'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('site_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=False),
    sa.Column('student_id', sa.String(length=64), nullable=False),
    sa.Column('student_name', sa.String(length=200), nullable=False),
    sa.Column('university_id', sa.String(length=32), nullable=False),
    sa.Column('voucher_kind', sa.String(length=8), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_student_id'), ['student_id'], unique=False)

    op.create_table('interview_slots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('online_link', sa.String(length=500), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('application_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    with op.batch_alter_table('interview_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_slots_project_id'), ['project_id'], unique=False)

    op.create_table('placements',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=64), nullable=False),
    sa.Column('student_name', sa.String(length=200), nullable=False),
    sa.Column('university_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('project_title', sa.String(length=200), nullable=False),
    sa.Column('site_id', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=False),
    sa.Column('direction', sa.String(length=32), nullable=False),
    sa.Column('voucher_kind', sa.String(length=8), nullable=False),
    sa.Column('hours_required', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id')
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placements_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placements_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_placements_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placements_student_id'), ['student_id'], unique=False)
        # one active placement per student and voucher kind
        batch_op.create_index('uq_placements_student_voucher', ['student_id', 'voucher_kind'], unique=True,
                              postgresql_where=sa.text("status = 'active'"),
                              sqlite_where=sa.text("status = 'active'"))


def downgrade():
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index('uq_placements_student_voucher')
        batch_op.drop_index(batch_op.f('ix_placements_student_id'))
        batch_op.drop_index(batch_op.f('ix_placements_site_id'))
        batch_op.drop_index(batch_op.f('ix_placements_region'))
        batch_op.drop_index(batch_op.f('ix_placements_project_id'))

    op.drop_table('placements')
    with op.batch_alter_table('interview_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_slots_project_id'))

    op.drop_table('interview_slots')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_student_id'))
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_site_id'))
        batch_op.drop_index(batch_op.f('ix_applications_region'))
        batch_op.drop_index(batch_op.f('ix_applications_project_id'))

    op.drop_table('applications')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_status'))
        batch_op.drop_index(batch_op.f('ix_projects_site_id'))
        batch_op.drop_index(batch_op.f('ix_projects_region'))
        batch_op.drop_index(batch_op.f('ix_projects_organisation_id'))

    op.drop_table('projects')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_organisation_id'))

    op.drop_table('sites')
    op.drop_table('organisations')
