"""Storage: the database engine, transactions and the schema all domains share."""

from custos.storage.database import Database
from custos.storage.schema import create_schema, metadata

__all__ = ["Database", "create_schema", "metadata"]
