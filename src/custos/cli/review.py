"""``custos review queue|decide|decline``: additional verification of held records (R65).

The console's review page shows the evidence; these commands serve scripted
offices and the demo.  A decision goes through the same function as the console,
which recomputes the evidence, so the command line cannot confirm more.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from custos.accounting.review import decide_review, decline_held, review_queue
from custos.cli.agreement import ByOption, operator
from custos.cli.common import State
from custos.matching.engine import MatchEngine
from custos.matching.index import MasterIndex

app = typer.Typer(help="Additional verification of held records (R65).", no_args_is_help=True)


@app.command("queue")
def queue(ctx: typer.Context) -> None:
    """Held records awaiting a person, oldest deadline first."""
    state: State = ctx.obj
    with state.runtime() as runtime, runtime.database.read() as connection:
        items = review_queue(connection, runtime.ledger.clock.now())
    table = Table("case", "batch", "record", "held as", "due", title=f"Review queue ({len(items)})")
    for item in items:
        due = f"[red]{item.due_at} overdue[/red]" if item.overdue else item.due_at
        table.add_row(item.case, item.batch_id, item.record_id, item.code, due)
    Console().print(table)


@app.command("decide")
def decide(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case number, e.g. C0000000012.")],
    *,
    by: ByOption,
    reason: Annotated[str, typer.Option(help="The written reason for the decision.")],
    confirm: Annotated[
        int | None, typer.Option(help="Master index id of the taxpayer to confirm; omit for not confirmed.")
    ] = None,
) -> None:
    """Decide one held record: confirm one taxpayer at the supplied address, or not confirmed."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        index = MasterIndex(runtime.settings.path(runtime.settings.master_index))
        try:
            code = decide_review(runtime, MatchEngine(index), case, operator(by),
                                 confirm_taxpayer=confirm, reason=reason)  # fmt: skip
        finally:
            index.close()
    Console().print(f"{case}: {code}")


@app.command("decline")
def decline(
    ctx: typer.Context,
    batch_id: Annotated[str, typer.Argument(help="The batch whose held records are all closed.")],
    *,
    by: ByOption,
    reason: Annotated[str, typer.Option(help="The written reason, committed once per 500 records.")],
) -> None:
    """Close every record of a batch still awaiting review as not confirmed (never confirms anything)."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        closed = decline_held(runtime, batch_id, operator(by), reason)
    Console().print(f"{batch_id}: {closed} held record(s) closed as NOT_CONFIRMED")
