"""``custos agreement load|approve|activate|show``: agreements as versioned, two-person-approved data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from custos.cli.common import State
from custos.ledger.events import Actor, ActorKind
from custos.policy.agreement import load_agreement
from custos.policy.keys import revoke_key
from custos.policy.store import activate_agreement, approve_agreement, get_agreement, load_agreement_version

app = typer.Typer(
    help="Data-sharing agreements: load, approve (two people), activate, show.", no_args_is_help=True
)
ByOption = Annotated[str, typer.Option("--by", help="Your operator id (recorded in the ledger).")]


def operator(name: str) -> Actor:
    """The operator acting from the command line."""
    return Actor(ActorKind.OPERATOR, name.strip())


@app.command("load")
def load(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Agreement TOML file.")], by: ByOption
) -> None:
    """Validate an agreement file and store it as a draft version."""
    state: State = ctx.obj
    spec = load_agreement(file)
    with state.runtime() as runtime, runtime.ledger.transaction() as tx:
        load_agreement_version(tx, spec, operator(by))
    out = Console()
    out.print(f"Loaded agreement {spec.id} version {spec.version} as a draft\n  digest {spec.digest}")
    missing = spec.missing_for_activation()
    if missing:
        out.print(f"  [yellow]not yet activatable (R61): missing {', '.join(missing)}[/yellow]")
    else:
        out.print("  complete; activation needs two approvals (custos agreement approve)")


@app.command("approve")
def approve(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    version: Annotated[int, typer.Option(help="Version to approve.")],
    by: ByOption,
) -> None:
    """Approve a draft version (each approver once; activation needs two)."""
    state: State = ctx.obj
    with state.runtime() as runtime, runtime.ledger.transaction() as tx:
        count = approve_agreement(tx, agreement_id, version, operator(by))
    Console().print(f"{by} approved {agreement_id} version {version} ({count} approval(s))")


@app.command("activate")
def activate(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    version: Annotated[int, typer.Option(help="Version to activate.")],
    by: ByOption,
) -> None:
    """Activate a complete, twice-approved version; the previous active version is superseded."""
    state: State = ctx.obj
    with state.runtime() as runtime, runtime.ledger.transaction() as tx:
        activate_agreement(tx, agreement_id, version, operator(by))
    Console().print(f"Agreement {agreement_id} version {version} is active")


@app.command("revoke-key")
def revoke_key_command(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    signer: Annotated[str, typer.Argument(help="The signer whose key is withdrawn.")],
    reason: Annotated[str, typer.Option(help="Why (a lost card, a departed official).")],
    by: ByOption,
) -> None:
    """Revoke an official's key at once: its signatures are refused from now on, in every version."""
    state: State = ctx.obj
    with state.runtime() as runtime, runtime.ledger.transaction() as tx:
        seq = revoke_key(tx, agreement_id, signer, reason, operator(by))
    Console().print(f"The key of {agreement_id}/{signer} is revoked (ledger entry {seq})")


@app.command("show")
def show(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(help="Agreement id.")],
    version: Annotated[int | None, typer.Option(help="Version (default: the newest).")] = None,
) -> None:
    """Show a stored version: state, approvals, signers, limits."""
    state: State = ctx.obj
    with state.runtime() as runtime, runtime.database.read() as connection:
        stored = get_agreement(connection, agreement_id, version)
    spec = stored.spec
    table = Table(
        "field", "value", title=f"{spec.id} version {spec.version} ({stored.status})", show_lines=False
    )
    table.add_row("title", spec.title)
    table.add_row("digest", spec.digest)
    table.add_row("approvers", ", ".join(stored.approvers) or "none")
    table.add_row("activated", stored.activated_at or "no")
    if spec.term:
        table.add_row("term", f"{spec.term.start} to {spec.term.end} (review by {spec.term.review_by})")
    for signer in spec.signers:
        kind = "agency head" if signer.agency_head else "component head"
        review = " (counsel approved)" if signer.legal_review else ""
        table.add_row("signer", f"{signer.id}: {signer.title}, {signer.agency}, {kind}{review}")
    table.add_row("statutes", ", ".join(spec.statutes.permitted))
    table.add_row("tax years", f"{spec.tax_years.earliest}-{spec.tax_years.latest}")
    table.add_row("disclosure", spec.disclosure.mode.value)
    limits = spec.limits
    table.add_row(
        "limits",
        f"batch {limits.max_batch_records:,}, defect share {limits.batch_defect_share}, "
        f"bulk notice {limits.bulk_notice_threshold:,}, engagement cap {limits.engagement_cap}",
    )
    missing = spec.missing_for_activation()
    table.add_row("R61 missing", ", ".join(missing) or "nothing")
    Console().print(table)
