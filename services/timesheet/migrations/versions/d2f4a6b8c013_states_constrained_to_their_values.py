"""states constrained to their values (common/contracts/timesheet.py declares them)

Revision ID: d2f4a6b8c013
Revises: c5e8a1f2d934
Create Date: 2026-11-30 10:45:00.000000
"""
from common.migrations import add_state_checks, drop_state_checks

revision = 'd2f4a6b8c013'
down_revision = 'c5e8a1f2d934'
branch_labels = None
depends_on = None

CHECKS = [
    ('placements', 'status_is_placement_status', ('active', 'withdrawn')),
    ('hour_entries', 'status_is_entry_status', ('pending', 'confirmed', 'disputed')),
    ('attendance', 'status_is_attendance_status', ('open', 'awaiting', 'approved', 'declined')),
    ('reports', 'status_is_report_status', ('submitted', 'accepted', 'rejected')),
]


def upgrade():
    add_state_checks(CHECKS)


def downgrade():
    drop_state_checks(CHECKS)
