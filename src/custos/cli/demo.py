"""``custos demo``: the main job end to end on synthetic data, with the real commands.

A demo installation is created (signers, an agreement approved by two people,
a synthetic master file indexed); the requesting official signs a batch that
mixes good records with the defects the courts found; custos validates,
matches and holds it; a delegated official approves the release; the results
go to the registered endpoint; then an auditor exports the ledger, verifies it
offline, checks an inclusion proof, and sees a tampered copy fail.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from custos.accounting.review import review_queue
from custos.accounting.tables import batch
from custos.config import Settings
from custos.demo_setup import DEMO_AGREEMENT, HEAD
from custos.ledger import verifier
from custos.ledger.events import Actor, ActorKind
from custos.ledger.export import export_bundle, tlog_proof
from custos.runtime import Runtime


def _run(out: Console, argv: list[str], *, quiet: bool = False) -> None:
    from custos.cli import main as custos  # noqa: PLC0415 - the demo drives the real commands

    if not quiet:
        out.print(f"$ custos {' '.join(argv)}", style="dim", soft_wrap=True)
    if quiet:
        with contextlib.redirect_stdout(io.StringIO()):
            code = custos(argv)
    else:
        code = custos(argv)
    if code != 0:
        raise typer.Exit(1)


def _held_cases(settings: Settings, batch_id: str) -> list[str]:
    runtime = Runtime.open(settings)
    try:
        with runtime.database.read() as connection:
            queue = review_queue(connection, runtime.ledger.clock.now())
        return [item.case for item in queue if item.batch_id == batch_id]
    finally:
        runtime.close()


def _console(out: Console, base: list[str], installation: Path, settings: Settings) -> None:
    """A second signed batch left for the console (review and release), then the console itself."""
    demo = installation / "demo"
    second = demo / "batch-2.csv"
    with (demo / "batch.csv").open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))[:60]
    with second.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "record_id": f"B2-{row['record_id']}"} for row in rows)
    out.print("\n[bold]10.[/bold] A second signed batch waits in the console for review and release")
    _run(out, ["batch", "sign", str(second), "--key", str(demo / "keys" / f"{HEAD}.pem"),
               "--signer", HEAD, "--agreement", DEMO_AGREEMENT, "--version", "1"])  # fmt: skip
    _run(out, [*base, "batch", "submit", str(second), "--envelope", str(demo / "batch-2.csv.envelope.json")])
    accounts = json.loads((demo / "console-accounts.json").read_text(encoding="utf-8"))
    table = Table("account", "role", "password", title="Demo console accounts (this installation only)")
    for account in accounts:
        table.add_row(account["user"], account["role"].replace("_", " "), account["password"])
    out.print(table)
    out.print(f"[bold]Console:[/bold] http://{settings.api_host}:{settings.api_port}  (Ctrl-C to stop)")
    _run(out, [*base, "serve"])


def _latest_batch(settings: Settings) -> str:
    runtime = Runtime.open(settings)
    try:
        with runtime.database.read() as connection:
            return str(
                connection.execute(
                    select(batch.c.batch_id).order_by(batch.c.received_at.desc()).limit(1)
                ).scalar_one()
            )
    finally:
        runtime.close()


def run_demo(
    directory: Annotated[Path, typer.Option("--dir", help="Demo data directory (recreated).")] = Path(
        "demo-data"
    ),
    serve: Annotated[
        bool, typer.Option("--serve", help="Then open the console on the installation (make demo does).")
    ] = False,
) -> None:
    """Run a signed batch end to end on synthetic data and verify the ledger as an auditor would."""
    out = Console()
    if directory.exists():
        shutil.rmtree(directory)
    installation = directory / "installation"
    base = ["--dir", str(installation)]
    out.print("[bold]1.[/bold] A demo installation: signers, a two-person-approved agreement, a master index")
    _run(out, [*base, "init", "--demo"])
    demo = installation / "demo"
    out.print("\n[bold]2.[/bold] The requesting official signs the batch (the requesting agency's side)")
    _run(out, ["batch", "sign", str(demo / "batch.csv"), "--key", str(demo / "keys" / f"{HEAD}.pem"),
               "--signer", HEAD, "--agreement", DEMO_AGREEMENT, "--version", "1"])  # fmt: skip
    out.print("\n[bold]3.[/bold] custos validates every record, matches, and holds the batch for approval")
    _run(out, [*base, "batch", "submit", str(demo / "batch.csv"), "--envelope",
               str(demo / "batch.csv.envelope.json")])  # fmt: skip
    settings = Settings.load(installation)
    batch_id = _latest_batch(settings)
    out.print("\n[bold]4.[/bold] A reviewer decides each held record with a written reason (R65)")
    _run(out, [*base, "review", "queue"])
    held = _held_cases(settings, batch_id)
    for number in held:
        reason = "Demo: someone else could be meant; not confirmed"
        _run(out, [*base, "review", "decide", number, "--by", "demo-reviewer", "--reason", reason],
             quiet=number != held[0])  # fmt: skip
    if len(held) > 1:
        out.print(f"  ... and {len(held) - 1} more held records decided the same way", style="dim")
    out.print(
        "\n[bold]5.[/bold] A delegated official approves the release; results go to the registered endpoint"
    )
    _run(out, [*base, "batch", "approve", batch_id, "--by", "demo-disclosure-manager",
               "--role", "Disclosure Manager", "--delegation", "Delegation Order 11-2 (demo)"])  # fmt: skip
    _run(out, [*base, "batch", "results", batch_id, "--by", "demo-disclosure-manager"])
    _run(out, [*base, "case", "show", "C0000000001"])
    _audit(out, settings, directory)
    if serve:
        _console(out, base, installation, settings)


def _audit(out: Console, settings: Settings, directory: Path) -> None:
    """Export the ledger, verify it offline, prove one entry, and show tampering detected."""
    runtime = Runtime.open(settings)
    try:
        signed = runtime.ledger.checkpoint()
        bundle = directory / "auditor-bundle"
        result = export_bundle(runtime.ledger, bundle, Actor(ActorKind.AUDITOR, "demo-auditor"))
        proof = directory / "1.tlog-proof"
        proof.write_text(tlog_proof(runtime.ledger, 1), encoding="utf-8")
        (directory / "1.leaf").write_bytes(runtime.ledger.leaf(1) + b"\n")
    finally:
        runtime.close()
    out.print(
        f"\n[bold]6.[/bold] Checkpoint at size {signed.size}; {result.entries} entries exported to {bundle}"
    )
    keys = verifier.parse_keys((bundle / "trusted-keys.txt").read_text(encoding="utf-8"))
    report = verifier.verify_bundle(bundle, keys)
    out.print("[bold]7.[/bold] Offline verification of the bundle: "
              + ("[green]verified[/green]" if report.ok else "[red]FAILED[/red]")
              + f" ({report.entries} entries, {report.checkpoints_verified} checkpoints)")  # fmt: skip
    proof_report = verifier.verify_inclusion_file(
        proof.read_text(encoding="utf-8"), (directory / "1.leaf").read_bytes().rstrip(b"\n"), keys
    )
    out.print("[bold]8.[/bold] Inclusion proof for seq 1 against the newest checkpoint: "
              + ("[green]verified[/green]" if proof_report.ok else "[red]FAILED[/red]"))  # fmt: skip
    tampered = directory / "tampered-bundle"
    shutil.copytree(bundle, tampered)
    lines = (tampered / "entries.jsonl").read_bytes().split(b"\n")
    target = next(i for i, line in enumerate(lines) if b'"response":"NOT_CONFIRMED"' in line)
    lines[target] = lines[target].replace(b'"response":"NOT_CONFIRMED"', b'"response":"CONFIRMED"')
    (tampered / "entries.jsonl").write_bytes(b"\n".join(lines))
    bad = verifier.verify_bundle(tampered, keys)
    out.print(f"[bold]9.[/bold] A copy with one NOT_CONFIRMED turned into CONFIRMED (line {target + 1}): "
              + (f"[green]tampering detected, first bad seq {bad.first_bad_seq}[/green]" if not bad.ok
                 else "[red]NOT DETECTED[/red]"))  # fmt: skip
    out.print(f"\nVerify it yourself: uv run custos ledger verify {bundle} --keys {bundle}/trusted-keys.txt",
              soft_wrap=True)  # fmt: skip
    if not report.ok or not proof_report.ok or bad.ok:
        raise typer.Exit(1)
