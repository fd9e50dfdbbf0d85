"""The migrations build exactly the schema the code declares, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from custos.runtime import Runtime
from custos.storage.schema import current_revision, head_revision, metadata


def test_migrated_schema_matches_the_declared_tables(runtime: Runtime) -> None:
    """No table, column, index or constraint differs between the migrations and the code."""
    with runtime.database.read() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        revision = current_revision(connection)
    assert differences == []
    assert revision == head_revision()
