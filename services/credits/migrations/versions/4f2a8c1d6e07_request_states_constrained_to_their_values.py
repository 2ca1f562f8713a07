"""re-count requests' states constrained to their values (common/contracts/credits.py declares them), and
flagged exactly when refused

Revision ID: 4f2a8c1d6e07
Revises: 7d4e2b1a9c63
Create Date: 2026-11-30 10:45:00.000000
"""
from alembic import op

revision = '4f2a8c1d6e07'
down_revision = '7d4e2b1a9c63'
branch_labels = None
depends_on = None

# The values as they were when this ran; a later state added to the enum comes with its own migration.
CHECKS = {
    'status_is_request_status': "status IN ('pending', 'confirmed', 'rejected', 'refused')",
    'flagged_when_refused': "flagged = (status = 'refused')",
}


def upgrade():
    with op.batch_alter_table('recount_requests', schema=None) as batch_op:
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)


def downgrade():
    with op.batch_alter_table('recount_requests', schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(name, type_='check')
