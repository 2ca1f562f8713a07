"""states constrained to their values (common/contracts/payments.py declares them)

Revision ID: 7c4d2e9b1f60
Revises: 12818b931da4
Create Date: 2026-11-30 10:40:00.000000
"""
from common.migrations import add_state_checks, drop_state_checks

revision = '7c4d2e9b1f60'
down_revision = '12818b931da4'
branch_labels = None
depends_on = None

# The values as they were when this ran.
PAYOUT = ('awaiting_details', 'ready', 'sending', 'sent', 'paid', 'failed', 'returned')
CHECKS = [
    ('payouts', 'status_is_payout_status', PAYOUT),
    ('payout_changes', 'status_is_payout_status', PAYOUT),
    ('payout_batches', 'status_is_batch_status', ('requested', 'sent')),
    ('bank_files', 'status_is_file_status', ('sending', 'received', 'rejected', 'unanswered', 'invalid')),
]


def upgrade():
    add_state_checks(CHECKS)


def downgrade():
    drop_state_checks(CHECKS)
