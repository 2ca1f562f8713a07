"""states constrained to their values (common/contracts/payments.py declares them)

Revision ID: 7c4d2e9b1f60
Revises: 12818b931da4
Create Date: 2026-11-30 10:40:00.000000
"""
from alembic import op

revision = '7c4d2e9b1f60'
down_revision = '12818b931da4'
branch_labels = None
depends_on = None

# The values as they were when this ran; a later state added to an enum comes with its own migration.
PAYOUT = ('status_is_payout_status', ('awaiting_details', 'ready', 'sending', 'sent', 'paid', 'failed', 'returned'))
STATES = {
    'payouts': PAYOUT,
    'payout_changes': PAYOUT,
    'payout_batches': ('status_is_batch_status', ('requested', 'sent')),
    'bank_files': ('status_is_file_status', ('sending', 'received', 'rejected', 'unanswered', 'invalid')),
}


def upgrade():
    for table, (name, values) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, "status IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def downgrade():
    for table, (name, _) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
