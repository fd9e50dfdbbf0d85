"""``custos db``: the schema owner's commands for a PostgreSQL installation.

custos connects as an application role that cannot change the schema or
rewrite the ledger, so migrations and grants run separately, as the owner
(``--owner-url``, or ``CUSTOS_DB_OWNER_URL`` so the password stays out of the
shell history).  ``custos db check`` is what start-up checks, on demand.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from custos.cli.common import State
from custos.config import Settings
from custos.runtime import DatabaseTarget, migrate
from custos.storage.database import Database
from custos.storage.postgres import grant_application_role, safe_url
from custos.storage.schema import check_schema, current_revision, head_revision

app = typer.Typer(help="Database schema: upgrade, grants and checks (run as the schema owner).")

OwnerUrl = Annotated[
    str,
    typer.Option(
        "--owner-url",
        envvar="CUSTOS_DB_OWNER_URL",
        help="SQLAlchemy URL of the role that owns the schema (env CUSTOS_DB_OWNER_URL).",
    ),
]


@app.command("upgrade")
def upgrade(ctx: typer.Context, owner_url: OwnerUrl) -> None:
    """Migrate the schema to this custos's newest revision and grant the application role."""
    state: State = ctx.obj
    settings = Settings.load(state.resolve())
    before = _revision(owner_url)
    migrate(DatabaseTarget(settings.resolved_database_url, owner_url))
    where = safe_url(owner_url)
    Console().print(f"schema at revision {head_revision()} (was {before or 'empty'}) in {where}")


@app.command("grant")
def grant(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help="The application role custos connects as.")],
    owner_url: OwnerUrl,
) -> None:
    """Grant ROLE what custos needs; on the ledger tables only SELECT and INSERT."""
    database = Database(owner_url)
    try:
        with database.write() as connection:
            grant_application_role(connection, role)
    finally:
        database.dispose()
    Console().print(f"granted {role}: SELECT and INSERT on the ledger tables, read-write elsewhere")


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Run start-up's database checks: durability, schema revision, the role's privileges."""
    state: State = ctx.obj
    settings = Settings.load(state.resolve())
    database = Database(settings.resolved_database_url)
    try:
        with database.read() as connection:
            check_schema(connection)
        database.check_privileges()
    finally:
        database.dispose()
    where = safe_url(settings.resolved_database_url)
    Console().print(f"database {where}: durable, schema {head_revision()}, privileges as required")


def _revision(url: str) -> str | None:
    database = Database(url)
    try:
        with database.read() as connection:
            return current_revision(connection)
    finally:
        database.dispose()
