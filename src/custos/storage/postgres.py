"""PostgreSQL: the durability guard, the writers' lock and the application role's privileges.

Production runs custos with several worker processes on one PostgreSQL
server.  Three things make that as safe as the embedded default:

* **Durability.**  Start-up refuses a server on which a committed ledger entry
  could be lost: ``fsync``, ``full_page_writes`` and ``synchronous_commit``
  must all be on (``remote_apply``/``remote_write``/``local`` count as on:
  each waits at least for the local flush).
* **One writer at a time.**  Every write transaction takes one transaction-
  scoped advisory lock before it reads anything, so appenders in different
  processes queue exactly as SQLite's ``BEGIN IMMEDIATE`` makes them queue:
  the ledger head a transaction reads is the head it extends, and no
  check-then-insert in the business tables races another process.  The lock
  is released by commit or rollback, including when the backend dies.
* **Least privilege.**  The schema belongs to an owner role that runs the
  migrations; custos itself connects as an application role that may only
  SELECT and INSERT on the ledger tables (it cannot UPDATE, DELETE or
  TRUNCATE them, nor drop their triggers, because it does not own them).
  Start-up refuses to run as a role that could rewrite the ledger.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from custos.errors import StorageConfigError

# "custos" as a 64-bit key: the advisory lock every write transaction takes first.
WRITER_LOCK_KEY = int.from_bytes(b"custosWL", "big") >> 1

APPEND_ONLY_TABLES = ("ledger_entry", "ledger_node", "ledger_checkpoint")
"""Tables the application role may only read and append to."""

UPDATABLE_LEDGER_TABLES = ("ledger_head",)
"""The head is a cache the append protocol rewrites; nothing trusts it unchecked."""

DURABLE_SETTINGS = {
    "fsync": {"on"},
    "full_page_writes": {"on"},
    "synchronous_commit": {"on", "remote_apply", "remote_write", "local"},
}
_WRITE_PRIVILEGES = ("UPDATE", "DELETE", "TRUNCATE")


def take_writer_lock(connection: Connection) -> None:
    """Queue behind every other custos writer until this transaction ends."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})


def check_durability(connection: Connection, url: str) -> None:
    """Refuse a server that acknowledges commits it might lose."""
    for setting, allowed in DURABLE_SETTINGS.items():
        value = connection.exec_driver_sql(f"SHOW {setting}").scalar_one()
        if value not in allowed:
            raise StorageConfigError(
                f"PostgreSQL at {safe_url(url)} runs with {setting}={value}; custos needs "
                f"{' or '.join(sorted(allowed))} so that committed ledger entries survive a crash. "
                f"Set {setting} = on in postgresql.conf (ALTER SYSTEM SET {setting} = on; "
                "SELECT pg_reload_conf();) and start custos again"
            )


def check_application_role(connection: Connection, url: str) -> None:
    """Refuse to run as a role that could rewrite or truncate the ledger tables."""
    role = connection.exec_driver_sql("SELECT current_user").scalar_one()
    for table in APPEND_ONLY_TABLES:
        owner = connection.execute(
            text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = :t"),
            {"t": table},
        ).scalar_one_or_none()
        if owner is None:
            return  # no schema yet: check_schema says so
        granted = [
            privilege
            for privilege in _WRITE_PRIVILEGES
            if connection.execute(
                text("SELECT has_table_privilege(:t, :p)"), {"t": table, "p": privilege}
            ).scalar_one()
        ]
        if owner == role or granted:
            held = "owns it" if owner == role else f"holds {', '.join(granted)}"
            raise StorageConfigError(
                f"custos connects to {safe_url(url)} as role {role!r}, which {held} on {table}; the "
                "application role may only SELECT and INSERT on the ledger tables. Connect as the "
                "application role ('custos db grant ROLE' as the owner sets it up)"
            )


def grant_application_role(connection: Connection, role: str) -> None:
    """Give ``role`` what custos needs, and on the ledger tables only SELECT and INSERT."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    tables = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).scalars()
    for table in tables:
        name = connection.dialect.identifier_preparer.quote(table)
        connection.exec_driver_sql(f"REVOKE ALL ON {name} FROM {quoted}")
        if table in APPEND_ONLY_TABLES or table == "alembic_version":
            privileges = "SELECT, INSERT" if table != "alembic_version" else "SELECT"
        elif table in UPDATABLE_LEDGER_TABLES:
            privileges = "SELECT, INSERT, UPDATE"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        connection.exec_driver_sql(f"GRANT {privileges} ON {name} TO {quoted}")
    schema = connection.dialect.identifier_preparer.quote(
        connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    )
    connection.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}")


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)
