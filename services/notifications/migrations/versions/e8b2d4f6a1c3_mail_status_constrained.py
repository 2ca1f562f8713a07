"""the mail outbox's status constrained to its values (common/contracts/notifications.py declares them)

Revision ID: e8b2d4f6a1c3
Revises: d3a7c1f2b9e4
Create Date: 2026-11-30 10:50:00.000000
"""
from alembic import op

revision = 'e8b2d4f6a1c3'
down_revision = 'd3a7c1f2b9e4'
branch_labels = None
depends_on = None

# The values as they were when this ran; a later state added to the enum comes with its own migration.
NAME, VALUES = 'status_is_mail_status', ('pending', 'sent', 'failed')


def upgrade():
    with op.batch_alter_table('mails', schema=None) as batch_op:
        batch_op.create_check_constraint(NAME, "status IN (" + ", ".join(f"'{v}'" for v in VALUES) + ")")


def downgrade():
    with op.batch_alter_table('mails', schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_='check')
