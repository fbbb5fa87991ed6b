"""Shared fixtures: real databases, on SQLite and on PostgreSQL.

``database_url`` runs a test once per backend. PostgreSQL is this machine's
server (see SERVICES.md); override the admin connection with
``WISEMIND_TEST_POSTGRES_URL``. When it does not answer, its tests are skipped,
except under CI (``CI=true``), where a missing service must fail the run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from bot.settings import process_settings
from bot.storage.database import create_engine_for
from bot.storage.migrate import upgrade
from bot.storage.models import Therapist

#: The real WiseMind servers (``wisemind run``) as session fixtures.
pytest_plugins = ("tests.servers", "tests.dashboard_support")

POSTGRES_ADMIN_URL = os.environ.get(
    "WISEMIND_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def settings_read_per_test() -> Iterator[None]:
    """Each test's code reads the settings of that test's environment.

    A server reads its settings once (:func:`bot.settings.process_settings`);
    the test run is one process for many set-ups.
    """
    process_settings.cache_clear()
    yield
    process_settings.cache_clear()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file of this test's own."""
    return f"sqlite:///{tmp_path / 'wisemind.db'}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database created for this test session, dropped at its end."""
    admin_url = make_url(POSTGRES_ADMIN_URL)
    try:
        admin = _connect(admin_url, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        detail = " ".join(str(exc).split())
        reason = f"PostgreSQL does not answer at {admin_url.host}:{admin_url.port}: {detail}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    admin.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    name = f"wisemind_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test (a fresh ``public`` schema)."""
    connection = _connect(make_url(postgres_database))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        connection.close()
    return postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend in turn."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param]
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the latest schema (each backend in turn)."""
    upgrade(database_url)
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(migrated_engine: Engine) -> Iterator[Session]:
    """A session on a migrated database; whatever the test leaves uncommitted is rolled back."""
    with Session(migrated_engine, future=True) as session:
        yield session


def _connect(url: URL, **options: object) -> psycopg2.extensions.connection:
    """A psycopg2 connection to the database a SQLAlchemy URL names."""
    params = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    return psycopg2.connect(**{k: v for k, v in params.items() if v is not None}, **options)


def demo_staff_as_real_rota(session: Session) -> None:
    """Let the demo therapists cover the rota although a real channel is configured.

    With a real channel on, paging skips demo staff (they must never cover a
    real clinic's gap); tests that page through the channel stand-ins use the
    demo clinic as if it were a real one.
    """
    for therapist in session.query(Therapist).filter(Therapist.is_demo.is_(True)):
        therapist.is_demo = False
