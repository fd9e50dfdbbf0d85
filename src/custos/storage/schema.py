"""The shared schema registry, and the migrations that build it.

Each domain declares its tables on :data:`metadata` in its own ``tables``
module; the code queries through those declarations.  The database itself is
built and upgraded only by the Alembic migrations in
``custos/storage/migrations`` (which also create the append-only triggers of
each dialect); a test checks that the migrated schema and :data:`metadata`
agree on both backends.  Start-up refuses a database that is not at the
newest revision.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData

from custos.errors import StorageConfigError

metadata = MetaData()


def _load_domain_tables() -> None:
    # Importing the modules registers their tables on `metadata`.
    import custos.accounting.tables  # noqa: PLC0415
    import custos.console.tables  # noqa: PLC0415
    import custos.ledger.confidential  # noqa: PLC0415
    import custos.ledger.tables  # noqa: F401, PLC0415


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for custos's migrations, bound to ``connection``."""
    _load_domain_tables()
    config = Config()
    config.set_main_option("script_location", str(resources.files("custos.storage") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this custos knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageConfigError("custos ships no schema migrations")
    return head


def create_schema(connection: Connection) -> None:
    """Create or upgrade every table and trigger, up to the newest revision."""
    command.upgrade(alembic_config(connection), "head")


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for a database custos never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def check_schema(connection: Connection) -> None:
    """Refuse a database whose schema is missing or at another revision."""
    found = current_revision(connection)
    if found is None:
        raise StorageConfigError("the database has no custos schema; run 'custos init'")
    wanted = head_revision()
    if found != wanted:
        raise StorageConfigError(
            f"the database schema is at revision {found}, this custos needs {wanted}; "
            "back up the database and run 'custos db upgrade' as the schema owner"
        )
