"""Database access for a nameko service on SQLAlchemy 2.

`Database` is a small dependency provider: one engine per container, one session per worker,
closed when the worker ends. Each service declares its models on its own `DeclarativeBase`.
"""
import hashlib

import eventlet.patcher
from nameko.extensions import DependencyProvider
from sqlalchemy import CheckConstraint, create_engine, event, func, select, text
from sqlalchemy.orm import sessionmaker

from common.context import CONTEXT_DATA_KEY
from common.ids import is_id

DATABASE_URL_KEY = "DATABASE_URL"

if eventlet.patcher.is_monkey_patched("socket"):
    # psycopg2 waits in C; this makes it yield to other green threads instead.
    from psycogreen.eventlet import patch_psycopg
    patch_psycopg()


def make_engine(url, **options):
    """An engine for `url`: SQLite files get a busy timeout and WAL, PostgreSQL a bounded pool and
    batched multi-row updates."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Many rows updated in one flush go in pages of statements, not a round trip each.
    options.setdefault("executemany_mode", "values_plus_batch")
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 20)
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def states_check(states, column="status"):
    """The table constraint keeping `column` to the values of `states` (a `common.domain.State`), for
    a model's `__table_args__`; the service's migration adds the same constraint."""
    values = ", ".join(f"'{state.value}'" for state in states)
    name = "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(states.__name__))
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_is_{name}")


def find(session, model, id_, lock=False):
    """The row with this id, or None, also for an id the platform cannot have issued (from a URL).
    `lock` reads it afresh FOR UPDATE."""
    if not is_id(id_):
        return None
    return session.get(model, id_, with_for_update=lock, populate_existing=lock)


def serialise(session, *key, shared=False):
    """Makes transactions naming the same `key` take turns until each ends: for two writes about one
    thing that land in different rows (a placement's start and its ending), where neither would see
    the other's uncommitted row. `shared`: such transactions take turns only with those that are not,
    not with each other (many registrations, one roster import). PostgreSQL: a transaction-level
    advisory lock. SQLite runs one writer at a time, and a writer whose reads went stale fails and is
    retried."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(":".join(key).encode(), digest_size=8).digest()
        session.execute(text(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(:key)"),
                        {"key": int.from_bytes(digest, "big", signed=True)})


def page(session, statement, limit, offset, rows=False):
    """One page of `statement` (ordered by the caller) and the total it pages through: (items, total).
    Items are the first column's values, or whole rows with `rows=True`."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = session.execute(statement.limit(limit).offset(offset))
    return (result.all() if rows else result.scalars().all()), total


def is_reachable(engine):
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


class Database(DependencyProvider):
    """Gives each worker `self.db`, a SQLAlchemy session bound to the service's DATABASE_URL."""

    def setup(self):
        self.engine = make_engine(self.container.config[DATABASE_URL_KEY])
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.sessions = {}

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.sessionmaker(info={CONTEXT_DATA_KEY: worker_ctx.data})
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
