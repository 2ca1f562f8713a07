"""states constrained to their values (common/contracts/registry.py declares them)

Revision ID: 5c2f8e7a1d93
Revises: e3a9c1d04f6b
Create Date: 2026-11-30 10:40:00.000000
"""
from alembic import op

revision = '5c2f8e7a1d93'
down_revision = 'e3a9c1d04f6b'
branch_labels = None
depends_on = None

# The values as they were when this ran; a later state added to an enum comes with its own migration.
STATES = {
    'organisations': ('status', 'status_is_organisation_status',
                      ('pending', 'accredited', 'rejected', 'suspended', 'withdrawn')),
    'students': ('enrolment_status', 'enrolment_status_is_enrolment_status', ('pending', 'confirmed', 'refused')),
}


def upgrade():
    for table, (column, name, values) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def downgrade():
    for table, (_, name, _) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
