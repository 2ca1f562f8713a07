"""states constrained to their values (common/contracts/registry.py declares them)

Revision ID: 5c2f8e7a1d93
Revises: e3a9c1d04f6b
Create Date: 2026-11-30 10:40:00.000000
"""
from common.migrations import add_state_checks, drop_state_checks

revision = '5c2f8e7a1d93'
down_revision = 'e3a9c1d04f6b'
branch_labels = None
depends_on = None

CHECKS = [
    ('organisations', 'status_is_organisation_status', ('pending', 'accredited', 'rejected', 'suspended', 'withdrawn')),
    ('students', 'enrolment_status_is_enrolment_status', ('pending', 'confirmed', 'refused'), 'enrolment_status'),
]


def upgrade():
    add_state_checks(CHECKS)


def downgrade():
    drop_state_checks(CHECKS)
