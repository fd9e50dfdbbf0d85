"""Storage: the database engine, transactions and the schema all domains share."""

from custos.storage.database import Database
from custos.storage.schema import SCHEMA_VERSION, create_schema, metadata

__all__ = ["SCHEMA_VERSION", "Database", "create_schema", "metadata"]
