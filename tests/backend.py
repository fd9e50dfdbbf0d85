"""The database backend the suite runs on: SQLite (the default) or PostgreSQL.

``CUSTOS_TEST_BACKEND=postgresql`` runs every test against a real PostgreSQL
server (``.ci/postgres`` installs and starts one, ``make test`` runs the suite
on both backends).  Each installation a test creates gets its own database,
owned by the owner role, with custos connecting as the application role, as
in production; copying an installation clones its database.  A server that
cannot be reached fails the session: a PostgreSQL test is never skipped.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import threading
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from custos.runtime import DatabaseTarget

BACKEND = os.environ.get("CUSTOS_TEST_BACKEND", "sqlite")
if BACKEND not in {"sqlite", "postgresql"}:
    raise RuntimeError(f"CUSTOS_TEST_BACKEND={BACKEND!r}: use sqlite or postgresql")
POSTGRES = BACKEND == "postgresql"

SERVER = os.environ.get("CUSTOS_TEST_POSTGRES_HOST", "127.0.0.1:5432")
OWNER = ("custos_owner", os.environ.get("CUSTOS_TEST_POSTGRES_OWNER_PASSWORD", "custos-test-owner"))
APPLICATION = ("custos_app", os.environ.get("CUSTOS_TEST_POSTGRES_APP_PASSWORD", "custos-test-app"))
PREFIX = "custos_t_"

_admin: Engine | None = None
created: list[str] = []
"""Databases made by this process, dropped after the test that made them."""
kept: list[str] = []
"""Databases of session- or module-scoped fixtures, dropped when the session ends."""
_keeping = False


@contextmanager
def keeping() -> Iterator[None]:
    """Databases made inside belong to a longer-lived fixture, not to the current test."""
    global _keeping  # noqa: PLW0603
    _keeping = True
    try:
        yield
    finally:
        _keeping = False


def url(role: tuple[str, str], database: str) -> str:
    """A psycopg URL for ``role`` on ``database``."""
    return f"postgresql+psycopg://{role[0]}:{role[1]}@{SERVER}/{database}"


def admin() -> Engine:
    """An autocommit connection pool on the server's maintenance database, as the owner role."""
    global _admin  # noqa: PLW0603
    if _admin is None:
        _admin = create_engine(
            url(OWNER, "postgres"), isolation_level="AUTOCOMMIT", pool_size=1, pool_pre_ping=True
        )
    return _admin


def new_database(template: str | None = None) -> DatabaseTarget:
    """A fresh empty database (or a clone of ``template``) with the owner and application URLs."""
    name = PREFIX + uuid.uuid4().hex[:16]
    clause = f" TEMPLATE {template}" if template else ""
    with admin().connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}{clause}"))
    (kept if _keeping else created).append(name)
    return DatabaseTarget(url(APPLICATION, name), url(OWNER, name))


def drop(names: list[str]) -> None:
    """Drop databases, closing any connection a test left open."""
    with admin().connect() as connection:
        for name in names:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


drop_after_test = drop
"""How a finished test's databases go (the session swaps in a Dropper's background queue)."""


class Dropper:
    """Drops finished tests' databases on a thread of its own, so the next test need not wait."""

    def __init__(self) -> None:
        self._queue: queue.Queue[list[str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="drop-test-databases", daemon=True)
        self._thread.start()
        self.error: Exception | None = None

    def _run(self) -> None:
        engine = create_engine(url(OWNER, "postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        while (names := self._queue.get()) is not None:
            try:
                with engine.connect() as connection:
                    for name in names:
                        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            except Exception as exc:  # reported at the end of the session; leftovers go then
                self.error = exc
        engine.dispose()

    def drop(self, names: list[str]) -> None:
        """Queue databases for dropping."""
        self._queue.put(list(names))

    def close(self) -> None:
        """Finish the queue."""
        self._queue.put(None)
        self._thread.join(timeout=300)


def drop_leftovers() -> None:
    """Drop every test database an earlier, interrupted run left behind."""
    with admin().connect() as connection:
        names = connection.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": PREFIX + "%"}
        ).scalars()
        stale = list(names)
    drop(stale)


def database_name(data_dir: Path) -> str | None:
    """The PostgreSQL database an installation uses, or None on SQLite."""
    config = tomllib.loads((data_dir / "custos.toml").read_text(encoding="utf-8"))
    configured = config.get("database_url", "")
    return make_url(configured).database if configured.startswith("postgresql") else None


def copy_installation(source: Path, destination: Path) -> None:
    """Copy a data directory; on PostgreSQL its database is cloned and the copy points at the clone."""
    shutil.copytree(source, destination)
    name = database_name(source)
    if name is None:
        return
    target = new_database(template=name)
    config = destination / "custos.toml"
    text_ = config.read_text(encoding="utf-8")
    config.write_text(
        re.sub(r'^database_url = ".*"$', f'database_url = "{target.url}"', text_, flags=re.M),
        encoding="utf-8",
    )


class OwnerHands:
    """The database as its owner could change it, bypassing custos: the SQLite file's holder,
    or the PostgreSQL owner role. Statements use ``?`` placeholders on both backends."""

    LEDGER_TABLES = ("ledger_entry", "ledger_node", "ledger_checkpoint")

    def __init__(self, data_dir: Path) -> None:
        self.name = database_name(data_dir)
        if self.name is None:
            import sqlite3

            self._sqlite = sqlite3.connect(data_dir / "custos.db", isolation_level=None)
        else:
            import psycopg

            self._postgres = psycopg.connect(
                url(OWNER, self.name).replace("postgresql+psycopg", "postgresql"), autocommit=True
            )

    def execute(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Run one statement and return its rows (none for a change)."""
        if self.name is None:
            return list(self._sqlite.execute(sql, parameters).fetchall())
        cursor = self._postgres.execute(sql.replace("?", "%s"), parameters)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []

    def disable_triggers(self) -> None:
        """Switch the append-only triggers off, as the owner of the database can."""
        if self.name is None:
            names = self._sqlite.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
            for (name,) in names:
                self._sqlite.execute(f"DROP TRIGGER {name}")
        else:
            for table in self.LEDGER_TABLES:
                self._postgres.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # type: ignore[arg-type]

    def close(self) -> None:
        """Close the connection."""
        (self._sqlite if self.name is None else self._postgres).close()


def snapshot(data_dir: Path, backup: Path) -> object:
    """A copy of the installation's database as it is now (a file, or a cloned PostgreSQL database)."""
    name = database_name(data_dir)
    if name is None:
        import sqlite3

        source, target = sqlite3.connect(data_dir / "custos.db"), sqlite3.connect(backup)
        source.backup(target)
        source.close(), target.close()
        return backup
    return make_url(new_database(template=name).url).database


def restore(data_dir: Path, copy: object) -> None:
    """Put an older copy of the database back in place of the current one."""
    name = database_name(data_dir)
    if name is None:
        import sqlite3

        source, target = sqlite3.connect(str(copy)), sqlite3.connect(data_dir / "custos.db")
        source.backup(target)
        source.close(), target.close()
        return
    with admin().connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {copy}"))
