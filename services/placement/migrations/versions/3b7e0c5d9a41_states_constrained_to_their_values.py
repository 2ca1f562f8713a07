"""states constrained to their values (common/contracts/placement.py declares them)

Revision ID: 3b7e0c5d9a41
Revises: cad555ccb8c9
Create Date: 2026-11-30 10:05:00.000000
"""
from alembic import op

revision = '3b7e0c5d9a41'
down_revision = 'cad555ccb8c9'
branch_labels = None
depends_on = None

# The values as they were when this ran; a later state added to an enum comes with its own migration.
STATES = {
    'organisations': ('status_is_organisation_status', ('pending', 'accredited', 'suspended', 'rejected')),
    'projects': ('status_is_project_status', ('open', 'paused', 'closed')),
    'applications': ('status_is_application_status', ('applied', 'waitlisted', 'offered', 'accepted', 'rejected',
                                                      'no_show', 'withdrawn', 'superseded')),
    'placements': ('status_is_placement_status', ('active', 'completed', 'withdrawn', 'cancelled')),
}


def upgrade():
    for table, (name, values) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, "status IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def downgrade():
    for table, (name, _) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
