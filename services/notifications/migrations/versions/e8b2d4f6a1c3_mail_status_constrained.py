"""the mail outbox's status constrained to its values (common/contracts/notifications.py declares them)

Revision ID: e8b2d4f6a1c3
Revises: d3a7c1f2b9e4
Create Date: 2026-11-30 10:50:00.000000
"""
from common.migrations import add_state_checks, drop_state_checks

revision = 'e8b2d4f6a1c3'
down_revision = 'd3a7c1f2b9e4'
branch_labels = None
depends_on = None

CHECKS = [('mails', 'status_is_mail_status', ('pending', 'sent', 'failed'))]


def upgrade():
    add_state_checks(CHECKS)


def downgrade():
    drop_state_checks(CHECKS)
