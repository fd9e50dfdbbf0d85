"""Database access: one engine, write transactions that serialize, a durability guard.

The embedded default is SQLite in WAL mode with ``synchronous=FULL``: WAL
lets readers work while one writer appends, and FULL makes a committed
transaction survive a power cut on storage that honours flushes (NORMAL may
roll the last transactions back).  Start-up refuses a database in any other
mode rather than run with weaker guarantees.

Every write transaction on SQLite opens with ``BEGIN IMMEDIATE``: it takes the
write lock up front, so two writers queue instead of both reading the ledger
head and failing at commit.  On PostgreSQL (production, several worker
processes) the same discipline is one advisory lock taken first in every write
transaction, and reads run in a read-only REPEATABLE READ snapshot; see
:mod:`custos.storage.postgres`.  Driver errors are wrapped in
:class:`~custos.errors.StorageError` here and nowhere else.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from custos.errors import StorageConfigError, StorageError
from custos.storage import postgres

_READ_ONLY = "custos_read_only"
BUSY_TIMEOUT_MS = 30_000


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None for other backends."""
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def create_sqlite_file(path: Path) -> None:
    """Create an empty SQLite database already switched to WAL mode."""
    connection = sqlite3.connect(path)
    try:
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise StorageConfigError(f"{path}: the file system does not support WAL mode")
    finally:
        connection.close()


def _guard_sqlite(dbapi_connection: sqlite3.Connection, path: str) -> None:
    """Configure one connection and refuse it unless WAL + FULL are in force."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        cursor.close()
    if mode != "wal":
        raise StorageConfigError(
            f"database {path} is in journal_mode={mode}; custos needs WAL for crash safety. "
            f"Stop custos and run: sqlite3 {path} 'PRAGMA journal_mode=WAL;' "
            "(a new data directory from 'custos init' is already in WAL mode)"
        )
    if synchronous != 2:
        raise StorageConfigError(
            f"database {path} runs with synchronous={synchronous}; custos needs FULL (2) so that "
            "committed ledger entries survive a power cut. Check for a PRAGMA override."
        )


def _engine_options(url: str) -> dict[str, Any]:
    """Engine settings: errors never quote bound values, which may be confidential.

    On PostgreSQL pooled connections are also checked before use, so a restarted
    server costs a reconnect rather than a failed request.
    """
    options: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("postgresql"):
        options |= {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
    return options


class Database:
    """An engine plus the transaction discipline custos relies on."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        path = sqlite_path(url)
        if path is not None and not path.exists():
            raise StorageConfigError(
                f"database {path} does not exist; create a data directory with 'custos init'"
            )
        self.engine: Engine = create_engine(url, echo=echo, **_engine_options(url))
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgres = self.engine.dialect.name == "postgresql"
        # SQLite has one writer; threads of this process queue here instead of sleeping and polling in
        # SQLite's busy handler, which leaves the lock idle and serves waiters in no particular order.
        self._writer = threading.RLock() if self.is_sqlite else None
        if self.is_sqlite:
            event.listen(self.engine, "connect", self._on_connect)
            event.listen(self.engine, "begin", self._on_begin)
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                if self.is_postgres:
                    postgres.check_durability(connection, url)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StorageError(f"cannot open database {postgres.safe_url(url)}: {exc}") from exc
        except StorageConfigError:
            self.engine.dispose()
            raise

    def check_privileges(self) -> None:
        """On PostgreSQL, refuse a role that could rewrite the ledger (start-up calls this)."""
        if self.is_postgres:
            with self.read() as connection:
                postgres.check_application_role(connection, self.url)

    def _on_connect(self, dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        _guard_sqlite(dbapi_connection, str(sqlite_path(self.url)))

    @staticmethod
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: commits on success, rolls back on any exception."""
        try:
            with self._queue(), self.engine.connect() as connection, connection.begin():
                if self.is_postgres:
                    postgres.take_writer_lock(connection)
                yield connection
        except SQLAlchemyError as exc:
            raise StorageError(f"database write failed and was rolled back: {exc}") from exc

    @contextmanager
    def _queue(self) -> Iterator[None]:
        if self._writer is None:
            yield
            return
        with self._writer:
            yield

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction over one consistent snapshot; never takes the write lock."""
        options: dict[str, Any] = {_READ_ONLY: True}
        if self.is_postgres:
            options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        try:
            with self.engine.connect().execution_options(**options) as connection, connection.begin():
                yield connection
        except SQLAlchemyError as exc:
            raise StorageError(f"database read failed: {exc}") from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
