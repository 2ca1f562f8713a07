"""Alembic, one migration history per service (services/<name>/migrations)."""
import os

from alembic import command, context
from alembic.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def alembic_config(service, database_url):
    config = Config()
    config.set_main_option("script_location", os.path.join(ROOT, "services", service, "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(service, database_url, revision="head"):
    command.upgrade(alembic_config(service, database_url), revision)


def run_env(target_metadata):
    """The body of every service's migrations/env.py."""
    from sqlalchemy import engine_from_config, pool

    config = context.config
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                          literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


def add_state_checks(checks):
    """A migration's CHECK constraints keeping state columns to their values (`common.db.states_check`
    declares the same on the models). `checks`: (table, constraint name, the values as they were when
    the migration was written[, column, "status" by default]) each; a state added to an enum later
    comes with a migration of its own."""
    from alembic import op
    for table, name, values, *column in checks:
        allowed = ", ".join(f"'{value}'" for value in values)
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(name, f"{column[0] if column else 'status'} IN ({allowed})")


def drop_state_checks(checks):
    from alembic import op
    for table, name, *_ in checks:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="check")
