"""The test harness: a real RabbitMQ (one fresh vhost per test) and real databases.

eventlet must patch the standard library before anything imports sockets or threads, or tests on
the real broker hang; hence the first lines.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import collections  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import uuid  # noqa: E402

import psycopg2  # noqa: E402
import pytest  # noqa: E402
from eventlet import patcher  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from common.migrations import upgrade  # noqa: E402
from tests.harness import SERVICES, MockBankProcess, Platform  # noqa: E402

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
real_threading, real_queue = patcher.original("threading"), patcher.original("queue")


class PostgresDatabases:
    """Per-test databases cloned from a template migrated once per session (fast: no DDL per test).

    Cloning and dropping wait on PostgreSQL's disk, from 0.04 to 0.4 s a database as its background
    writes come and go, and a platform test needs seven. So an OS thread clones the next test's
    databases and drops the last test's while the tests run (a greenthread would advance only while
    a test waits on I/O); a test takes a clone that is ready, or makes one itself if none is."""

    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.templates = {}
        self.ready = collections.defaultdict(collections.deque)  # service -> names of clones nobody has
        self.chores = real_queue.SimpleQueue()
        self.worker = real_threading.Thread(target=self._do_chores, name="test-databases", daemon=True)
        self.worker.start()

    def url(self, name):
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def template(self, service):
        if service not in self.templates:
            name = f"tpl_{service}_{uuid.uuid4().hex[:8]}"
            self._execute(f'CREATE DATABASE "{name}"')
            upgrade(service, self.url(name))
            create_engine(self.url(name)).dispose()
            self.templates[service] = name
        return self.templates[service]

    def create(self, service):
        template = self.template(service)
        self.chores.put(("clone", service))  # the next test's
        try:
            return self.url(self.ready[service].popleft())
        except IndexError:
            name = self._clone_name(service)
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return self.url(name)

    def drop(self, url):
        self.chores.put(("drop", url.rsplit("/", 1)[1]))

    def close(self):
        self.chores.put(None)
        self.worker.join()
        for name in [*(name for names in self.ready.values() for name in names), *self.templates.values()]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.engine.dispose()

    @staticmethod
    def _clone_name(service):
        return f"t_{service}_{uuid.uuid4().hex[:10]}"

    def _do_chores(self):
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = psycopg2.connect(dsn)
        connection.autocommit = True
        with connection.cursor() as cursor:
            while (chore := self.chores.get()) is not None:
                kind, subject = chore
                if kind == "drop":
                    cursor.execute(f'DROP DATABASE IF EXISTS "{subject}" WITH (FORCE)')
                else:
                    name = self._clone_name(subject)
                    cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.templates[subject]}"')
                    self.ready[subject].append(name)
        connection.close()

    def _execute(self, sql):
        with self.engine.connect() as connection:
            connection.execute(text(sql))


class SqliteDatabases:
    """Per-test SQLite files copied from a template migrated once per session."""

    def __init__(self, folder):
        self.folder = folder
        self.templates = {}

    def template(self, service):
        if service not in self.templates:
            path = os.path.join(self.folder, f"template_{service}.db")
            upgrade(service, f"sqlite:///{path}")
            self.templates[service] = path
        return self.templates[service]

    def create(self, service):
        path = os.path.join(self.folder, f"{service}_{uuid.uuid4().hex[:10]}.db")
        shutil.copyfile(self.template(service), path)
        return f"sqlite:///{path}"

    def drop(self, url):
        path = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)

    def close(self):
        pass


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory):
    """Makes a fresh, migrated database for a service: PostgreSQL when TEST_POSTGRES_URL is set
    (as `./platform test` does), SQLite files otherwise."""
    factory = PostgresDatabases(TEST_POSTGRES_URL) if TEST_POSTGRES_URL \
        else SqliteDatabases(str(tmp_path_factory.mktemp("databases")))
    yield factory
    factory.close()


@pytest.fixture
def service_databases(database_factory):
    urls = {service: database_factory.create(service) for service in SERVICES}
    yield urls
    for url in urls.values():
        database_factory.drop(url)


@pytest.fixture(scope="session")
def bank(tmp_path_factory):
    """The bank simulator (mock-bank) as its own process, once per test run (each platform test
    resets it)."""
    bank = MockBankProcess(str(tmp_path_factory.mktemp("mock_bank") / "bank.log"))
    bank.start()
    yield bank
    bank.stop()


@pytest.fixture
def service_overrides():
    """Config values for some services, by service name; a test module may override this fixture."""
    return {}


@pytest.fixture
def platform(rabbit_config, web_config, service_databases, container_factory, bank, service_overrides):
    """All seven services and the gateway in this process, on a fresh vhost and fresh databases,
    paying through the bank simulator."""
    bank.reset()
    platform = Platform(rabbit_config, web_config, service_databases, container_factory, bank=bank,
                        overrides=service_overrides)
    platform.start()
    yield platform
    platform.close()


@pytest.fixture
def interface(database_factory):
    """`interface(ServiceClass, **options)`: the service's entrypoints and consumers, each call a nameko
    worker of its own, on a fresh database of the service's, without a broker (`tests/interface.py`)."""
    from tests.interface import Interface
    made = []

    def make(service_cls, **options):
        url = database_factory.create(service_cls.name)
        made.append((Interface(service_cls, url, **options), url))
        return made[-1][0]

    yield make
    for interface_, url in made:
        interface_.close()
        database_factory.drop(url)


@pytest.fixture
def consumers(interface):
    """`consumers(ServiceClass)`: the same, for tests of the service's event consumers (`tests/consumers.py`)."""
    return interface
