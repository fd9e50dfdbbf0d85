"""The durability guard: custos refuses a database that could lose committed entries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from custos.config import Settings
from custos.errors import StorageConfigError
from custos.runtime import Runtime
from custos.storage.database import Database


@pytest.mark.sqlite_only
class TestDurabilityGuard:
    def test_initialized_database_is_wal_and_full(self, runtime: Runtime) -> None:
        """Every connection custos opens runs in WAL mode with synchronous=FULL."""
        with runtime.database.read() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2

    def test_rollback_journal_database_is_refused_with_the_fix(self, data_dir: Path) -> None:
        """A database switched out of WAL is refused, and the message says how to fix it."""
        path = data_dir / "custos.db"
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
        with pytest.raises(StorageConfigError, match=r"journal_mode=delete.*PRAGMA journal_mode=WAL"):
            Runtime.open(Settings.load(data_dir))

    def test_missing_database_is_refused(self, tmp_path: Path) -> None:
        """Opening a database file that does not exist points at custos init instead of creating one."""
        with pytest.raises(StorageConfigError, match="custos init"):
            Database(f"sqlite:///{tmp_path / 'nothing.db'}")

    def test_database_without_schema_is_refused(self, tmp_path: Path) -> None:
        """A WAL database that custos did not create is not used."""
        from custos.storage.database import create_sqlite_file
        from custos.storage.schema import check_schema

        path = tmp_path / "other.db"
        create_sqlite_file(path)
        database = Database(f"sqlite:///{path}")
        with pytest.raises(StorageConfigError, match="no custos schema"), database.read() as connection:
            check_schema(connection)
        database.dispose()

    def test_synchronous_override_is_caught(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        """If something lowers synchronous on a new connection, the connection is refused."""
        from custos.storage import database as module

        original = module._guard_sqlite
        monkeypatch.setattr(module, "_guard_sqlite", lambda c, p: original(_Lowering(c), p))
        with pytest.raises(StorageConfigError, match="synchronous=1"):
            Database(runtime.database.url)


class _Lowering:
    """A connection whose synchronous pragma is silently turned down (simulates an override)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.isolation_level: str | None = ""

    def cursor(self) -> _LoweringCursor:
        return _LoweringCursor(self._connection.cursor())


class _LoweringCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str) -> sqlite3.Cursor:
        if sql == "PRAGMA synchronous=FULL":
            sql = "PRAGMA synchronous=NORMAL"
        return self._cursor.execute(sql)

    def close(self) -> None:
        self._cursor.close()


def test_storage_errors_never_quote_the_values(runtime: Runtime) -> None:
    """A refused write names the statement, not its values: those may be confidential (both backends)."""
    from sqlalchemy import insert

    from custos.errors import StorageError
    from custos.ledger.tables import ledger_entry

    confidential = "Maria Cruz 900-00-0001"
    row = {"seq": -5, "leaf": b"{}", "leaf_hash": bytes(32), "event_type": "x", "actor_id": confidential,
           "recorded_at": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    with pytest.raises(StorageError) as refused, runtime.database.write() as connection:
        connection.execute(insert(ledger_entry).values(**row))
    assert "ledger_entry" in str(refused.value)
    assert confidential not in str(refused.value)
