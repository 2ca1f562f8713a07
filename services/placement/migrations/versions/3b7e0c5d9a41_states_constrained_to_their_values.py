"""states constrained to their values (common/contracts/placement.py declares them)

Revision ID: 3b7e0c5d9a41
Revises: cad555ccb8c9
Create Date: 2026-11-30 10:05:00.000000
"""
from common.migrations import add_state_checks, drop_state_checks

revision = '3b7e0c5d9a41'
down_revision = 'cad555ccb8c9'
branch_labels = None
depends_on = None

CHECKS = [
    ('organisations', 'status_is_organisation_status', ('pending', 'accredited', 'suspended', 'rejected')),
    ('projects', 'status_is_project_status', ('open', 'paused', 'closed')),
    ('applications', 'status_is_application_status', ('applied', 'waitlisted', 'offered', 'accepted', 'rejected',
                                                      'no_show', 'withdrawn', 'superseded')),
    ('placements', 'status_is_placement_status', ('active', 'completed', 'withdrawn', 'cancelled')),
]


def upgrade():
    add_state_checks(CHECKS)


def downgrade():
    drop_state_checks(CHECKS)
