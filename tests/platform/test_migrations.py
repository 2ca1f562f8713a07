"""Each service's migrations build exactly the schema its models declare."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from common.db import make_engine
from tests.harness import SERVICES


def models_metadata(service):
    module = __import__(f"services.{service}.models", fromlist=["Base"])
    return module.Base.metadata


@pytest.mark.parametrize("service", SERVICES)
def test_migrated_database_matches_the_models(service, database_factory):
    url = database_factory.create(service)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                           models_metadata(service))
            tables = set(inspect(connection).get_table_names())
        assert differences == []
        publishes = hasattr(__import__(f"services.{service}.models", fromlist=["Base"]), "OutboxEvent")
        assert {"processed_events", "alembic_version"} | ({"outbox"} if publishes else set()) <= tables
    finally:
        engine.dispose()
        database_factory.drop(url)
