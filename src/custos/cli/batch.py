"""``custos batch sign|submit|approve|status|results`` and ``custos case show``.

``sign`` is the requesting agency's tool: it signs a batch file with an
official's key into a detached envelope.  The others are the custodian's, and
all of them go through the one decision pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from custos.accounting.pipeline import DecisionPipeline
from custos.accounting.recovery import recover
from custos.accounting.release import Approval, approve_and_release, batch_status, case_status, write_results
from custos.cli.agreement import ByOption, operator
from custos.cli.common import State
from custos.intake.envelope import load_private_key, read_envelope, sign_envelope, write_envelope
from custos.intake.parse import count_rows, open_batch

app = typer.Typer(
    help="Signed request batches: sign, submit, approve, status, results.", no_args_is_help=True
)
case_app = typer.Typer(help="Cases: one per request record, with a persistent number.", no_args_is_help=True)


@app.command("sign")
def sign(
    batch_file: Annotated[Path, typer.Argument(help="Batch file (CSV, Parquet or JSON Lines).")],
    *,
    key: Annotated[Path, typer.Option(help="The official's private key (PEM, Ed25519 or P-256).")],
    signer: Annotated[str, typer.Option(help="The official's signer id in the agreement.")],
    agreement: Annotated[str, typer.Option(help="Agreement id.")],
    version: Annotated[int, typer.Option(help="Agreement version.")],
    out: Annotated[Path | None, typer.Option(help="Envelope file (default: BATCH.envelope.json).")] = None,
) -> None:
    """Sign a batch file into a detached envelope (the requesting agency's side)."""
    opened = open_batch(batch_file, required=())
    envelope = sign_envelope(
        load_private_key(key), agreement_id=agreement, agreement_version=version, signer=signer,
        batch_digest=opened.digest, batch_format=opened.format, record_count=count_rows(opened),
    )  # fmt: skip
    target = out or batch_file.with_name(batch_file.name + ".envelope.json")
    write_envelope(target, envelope)
    Console().print(f"Signed {envelope.record_count:,} records as {signer} ({envelope.alg}) into {target}")


@app.command("submit")
def submit(
    ctx: typer.Context,
    batch_file: Annotated[Path, typer.Argument(help="Batch file.")],
    envelope: Annotated[Path, typer.Option(help="The signed envelope of the batch.")],
) -> None:
    """Submit a signed batch: validate, match and hold it for approval."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        summary = DecisionPipeline(runtime).submit(batch_file, read_envelope(envelope))
    table = Table("code", "records", title=f"Batch {summary.batch_id}: {summary.status}")
    for code, count in summary.by_code.items():
        table.add_row(code, f"{count:,}")
    table.add_section()
    table.add_row("total", f"{summary.records:,}")
    Console().print(table)
    if summary.status == "awaiting_approval":
        Console().print(f"Nothing is released until approved: custos batch approve {summary.batch_id} ...")


@app.command("approve")
def approve(
    ctx: typer.Context,
    batch_id: Annotated[str, typer.Argument(help="Batch id.")],
    by: ByOption,
    role: Annotated[str, typer.Option(help="The approving official's role.")],
    delegation: Annotated[str, typer.Option(help="Reference of the delegation order authorizing you.")],
) -> None:
    """Approve a batch's release (R35); refused while a legal hold is in force."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        counts = approve_and_release(runtime.ledger, batch_id, Approval(operator(by), role, delegation))
    summary = ", ".join(f"{code} {n:,}" for code, n in counts.items())
    Console().print(f"Batch {batch_id} released by {by} ({role}, {delegation}): {summary}")


@app.command("status")
def status(ctx: typer.Context, batch_id: Annotated[str, typer.Argument(help="Batch id.")]) -> None:
    """A batch's state and counts by response code."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        Console().print_json(json.dumps(batch_status(runtime.ledger, batch_id)))


@app.command("results")
def results(
    ctx: typer.Context,
    batch_id: Annotated[str, typer.Argument(help="Batch id.")],
    by: ByOption,
    endpoint: Annotated[str | None, typer.Option(help="Registered endpoint (default: the only one).")] = None,
) -> None:
    """Deliver a released batch's results (record_id, case_number, code) to a registered endpoint."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        out = write_results(
            runtime.ledger, batch_id, operator(by), root=runtime.settings.data_dir, endpoint=endpoint
        )
    Console().print(f"Delivered the results of {batch_id} to {out}")


@app.command("recover")
def recover_command(
    ctx: typer.Context,
    retired_host: Annotated[
        list[str] | None,
        typer.Option(help="A host that will not come back: its batches in processing are taken over here."),
    ] = None,
) -> None:
    """Resume batches whose process died mid-way (the server does this itself at start-up)."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        outcomes = recover(DecisionPipeline(runtime), frozenset(retired_host or ()))
    if not outcomes:
        Console().print("No interrupted batches.")
    for outcome in outcomes:
        if outcome.summary is not None:
            Console().print(f"Batch {outcome.batch_id} resumed: {outcome.summary.status}")
        else:
            Console().print(f"Batch {outcome.batch_id} could not be resumed and is failed: {outcome.problem}")


@case_app.command("show")
def show_case(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help="Case number, e.g. C0000000001.")]
) -> None:
    """A case's code as the requester may see it (R64)."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        Console().print_json(json.dumps(case_status(runtime.ledger, number)))
