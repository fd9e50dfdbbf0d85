"""The shared schema registry and its creation.

Each domain declares its tables on :data:`metadata` in its own ``tables``
module; :func:`create_schema` creates them all, adds the domains' extra DDL
(append-only triggers) and records the schema version that start-up checks.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Integer, MetaData, Table, select

from custos.errors import StorageConfigError

SCHEMA_VERSION = 4

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)

ExtraDDL = Callable[[str], list[str]]
_extra_ddl: list[ExtraDDL] = []


def register_ddl(statements: ExtraDDL) -> ExtraDDL:
    """Register dialect-specific DDL (called with the dialect name) to run after create_all."""
    _extra_ddl.append(statements)
    return statements


def _load_domain_tables() -> None:
    # Importing the modules registers their tables and DDL on `metadata`.
    import custos.accounting.tables  # noqa: PLC0415
    import custos.console.tables  # noqa: PLC0415
    import custos.ledger.confidential  # noqa: PLC0415
    import custos.ledger.tables  # noqa: F401, PLC0415


def create_schema(connection: Connection) -> None:
    """Create every table and trigger in an empty database."""
    _load_domain_tables()
    metadata.create_all(connection)
    for statements in _extra_ddl:
        for statement in statements(connection.dialect.name):
            connection.exec_driver_sql(statement)
    connection.execute(schema_version.insert().values(version=SCHEMA_VERSION))


def check_schema(connection: Connection) -> None:
    """Refuse a database whose schema is missing or of another version."""
    _load_domain_tables()
    if not connection.dialect.has_table(connection, "schema_version"):
        raise StorageConfigError("the database has no custos schema; run 'custos init'")
    found = connection.execute(select(schema_version.c.version)).scalar_one_or_none()
    if found != SCHEMA_VERSION:
        raise StorageConfigError(
            f"the database schema is version {found}, this custos needs {SCHEMA_VERSION}"
        )
