"""states constrained to their values (common/contracts/timesheet.py declares them)

Revision ID: d2f4a6b8c013
Revises: c5e8a1f2d934
Create Date: 2026-11-30 10:45:00.000000
"""
from alembic import op

revision = 'd2f4a6b8c013'
down_revision = 'c5e8a1f2d934'
branch_labels = None
depends_on = None

# The values as they were when this ran; a later state added to an enum comes with its own migration.
STATES = {
    'placements': ('status_is_placement_status', ('active', 'withdrawn')),
    'hour_entries': ('status_is_entry_status', ('pending', 'confirmed', 'disputed')),
    'attendance': ('status_is_attendance_status', ('open', 'awaiting', 'approved', 'declined')),
    'reports': ('status_is_report_status', ('submitted', 'accepted', 'rejected')),
}


def upgrade():
    for table, (name, values) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, "status IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def downgrade():
    for table, (name, _) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
