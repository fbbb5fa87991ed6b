"""Bringing a database's schema up to date, programmatically (no ``alembic.ini``).

Every process that opens the database can call :func:`upgrade` first: it is a
no-op on a database already at the head revision. The migration scripts live
inside the package, so this works from a source checkout and an installed copy.
New revisions: ``alembic.command.revision(alembic_config(url), message, autogenerate=True)``
against a database at head, then review what it wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.settings import load_settings
from bot.storage.database import create_engine_for
from bot.storage.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for ``url`` (default: the configured database)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Config values are %-interpolated: a password containing % must be escaped.
    config.set_main_option("sqlalchemy.url", _url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the latest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (default: drop all of WiseMind's tables)."""
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at; None if it has never been migrated."""
    engine = create_engine_for(_url(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The latest revision the code knows about."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: only WiseMind's own tables exist as far as migrations are concerned.

    Rasa's SQL tracker store keeps its ``events`` table in the same database;
    without this, autogenerate would propose to drop it.
    """
    return type_ != "table" or name in Base.metadata.tables


def _url(url: str | None) -> str:
    return url or load_settings().database_url
