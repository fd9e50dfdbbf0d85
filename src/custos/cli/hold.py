"""``custos hold set|release|list``: legal holds that stop all matching output and transmission (R5, R6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from custos.accounting.tables import legal_hold
from custos.cli.agreement import ByOption, operator
from custos.cli.common import State
from custos.policy.store import CourtOrder, release_hold, set_hold

app = typer.Typer(help="Legal holds and the court orders behind them.", no_args_is_help=True)


@app.command("set")
def set_command(
    ctx: typer.Context,
    *,
    court: Annotated[str, typer.Option(help="Court that issued the order.")],
    docket: Annotated[str, typer.Option(help="Docket number of the order.")],
    order_date: Annotated[str, typer.Option("--order-date", help="Date of the order, YYYY-MM-DD.")],
    by: ByOption,
    scope: Annotated[str, typer.Option(help="'global' or an agreement id.")] = "global",
) -> None:
    """Set a hold: from now on no record is matched, released or transmitted under it."""
    state: State = ctx.obj
    try:
        date = dt.date.fromisoformat(order_date)
    except ValueError as exc:
        raise typer.BadParameter("--order-date must be YYYY-MM-DD") from exc
    with state.runtime() as runtime, runtime.ledger.transaction() as tx:
        hold_id = set_hold(tx, scope, CourtOrder(court, docket, date), operator(by))
    Console().print(f"Legal hold {hold_id} set ({scope}): {court}, {docket}, {date}")


@app.command("release")
def release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="Hold id.")],
    by: Annotated[list[str], typer.Option("--by", help="Two different approvers: --by A --by B.")],
) -> None:
    """Release a hold; two different approvers must be named (R6)."""
    state: State = ctx.obj
    if len(by) != 2:
        raise typer.BadParameter("name exactly two approvers: --by A --by B")
    with state.runtime() as runtime, runtime.ledger.transaction() as tx:
        release_hold(tx, hold_id, (operator(by[0]), operator(by[1])))
    Console().print(f"Legal hold {hold_id} released by {by[0]} and {by[1]}")


@app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every hold, in force or released."""
    state: State = ctx.obj
    with state.runtime() as runtime, runtime.database.read() as connection:
        rows = connection.execute(select(legal_hold).order_by(legal_hold.c.hold_id)).all()
    table = Table("id", "scope", "court", "docket", "order date", "set", "released", title="Legal holds")
    for row in rows:
        released = f"{row.released_at} by {row.released_by}" if row.released_at else "[red]in force[/red]"
        table.add_row(str(row.hold_id), row.scope, row.court, row.docket, row.order_date,
                      f"{row.set_at} by {row.set_by}", released)  # fmt: skip
    Console().print(table)
