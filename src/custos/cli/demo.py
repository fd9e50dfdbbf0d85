"""``custos demo``: what exists so far, end to end, on a fresh data directory.

Until intake, matching and the console land, the demo shows the ledger: a
data directory is created, a short synthetic exchange is accounted for
(a request, its confidential payload kept out of the ledger, a decision, an
inspection), a checkpoint is signed, an auditor bundle is exported and
verified offline, and a tampered copy of it is shown to fail.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from custos.config import Settings
from custos.ledger import verifier
from custos.ledger.events import (
    Actor,
    ActorKind,
    AuditEvent,
    Authorization,
    EventType,
    ObjectRef,
    Outcome,
)
from custos.ledger.export import export_bundle, tlog_proof
from custos.runtime import Runtime, initialize


def _exchange(runtime: Runtime) -> list[tuple[int, str]]:
    """Account for one synthetic request and its handling; return (seq, what) pairs."""
    ledger, store = runtime.ledger, runtime.confidential
    official = Actor(ActorKind.OFFICIAL, "demo-official-1", agency="REQUESTING-AGENCY", keyid="demo-key-1")
    reviewer = Actor(ActorKind.OPERATOR, "demo-reviewer", agency="CUSTODIAN")
    done: list[tuple[int, str]] = []
    with ledger.transaction() as tx:
        payload = json.dumps(
            {
                "record_id": "R-0001",
                "name": "SYNTHETIC PERSON",
                "address": "1 EXAMPLE ST, SPRINGFIELD, IL 62701",
            }
        ).encode()
        commitment = store.put(tx, "request_record", payload)
        received = tx.append(
            AuditEvent(
                EventType.REQUEST_RECEIVED,
                official,
                "submit_batch",
                Outcome.SUCCESS,
                object=ObjectRef("batch", "demo-batch-1", commitment),
                details={"record_count": 1},
            )
        )
        decided = tx.append(
            AuditEvent(
                EventType.DECISION_MADE,
                Actor.system("pipeline"),
                "decide_record",
                Outcome.SUCCESS,
                object=ObjectRef("case", "C-DEMO-0001", commitment),
                reason_code="PENDING_REVIEW",
                authz=Authorization("demo-policy-1", "R65", "hold"),
                refs=(received.seq,),
            )
        )
    done += [
        (received.seq, "request received (payload committed, not stored in the ledger)"),
        (decided.seq, "decision recorded, referring to the request"),
    ]
    store.open(commitment, reviewer, "review of held case C-DEMO-0001")
    done.append((ledger.head().size - 1, "reviewer inspected the payload (access.read)"))
    with ledger.transaction() as tx:
        denied = tx.append(
            AuditEvent(
                EventType.DISCLOSURE_DENIED,
                reviewer,
                "review_case",
                Outcome.DENIED,
                object=ObjectRef("case", "C-DEMO-0001", commitment),
                reason_code="AMBIGUOUS_HOUSEHOLD",
                refs=(decided.seq,),
            )
        )
    done.append((denied.seq, "disclosure denied after review"))
    return done


def run_demo(
    directory: Annotated[Path, typer.Option("--dir", help="Demo data directory (recreated).")] = Path(
        "demo-data"
    ),
) -> None:
    """Run the ledger end to end on synthetic data and verify it as an auditor would."""
    out = Console()
    if directory.exists():
        shutil.rmtree(directory)
    settings = initialize(directory / "installation", origin="demo.custos.localhost/ledger/v1")
    out.print(f"[bold]1.[/bold] Initialized a data directory in {settings.data_dir}")
    runtime = Runtime.open(Settings.load(settings.data_dir))
    try:
        table = Table("seq", "what was accounted for", title="2. A synthetic exchange in the ledger")
        for seq, what in _exchange(runtime):
            table.add_row(str(seq), what)
        out.print(table)
        signed = runtime.ledger.checkpoint()
        out.print(f"[bold]3.[/bold] Audited all history and signed checkpoint at size {signed.size}:")
        out.print(signed.note, highlight=False, soft_wrap=True)
        bundle = directory / "auditor-bundle"
        result = export_bundle(runtime.ledger, bundle, Actor(ActorKind.AUDITOR, "demo-auditor"))
        out.print(
            f"[bold]4.[/bold] Exported {result.entries} entries and {result.checkpoints} "
            f"checkpoints to {bundle}"
        )
        proof = directory / "1.tlog-proof"
        proof.write_text(tlog_proof(runtime.ledger, 1), encoding="utf-8")
        (directory / "1.leaf").write_bytes(runtime.ledger.leaf(1) + b"\n")
    finally:
        runtime.close()
    keys = verifier.parse_keys((bundle / "trusted-keys.txt").read_text(encoding="utf-8"))
    report = verifier.verify_bundle(bundle, keys)
    out.print(
        "[bold]5.[/bold] Offline verification of the bundle: "
        + ("[green]verified[/green]" if report.ok else "[red]FAILED[/red]")
        + f" ({report.entries} entries, {report.checkpoints_verified} checkpoints)"
    )
    proof_report = verifier.verify_inclusion_file(
        proof.read_text(encoding="utf-8"), (directory / "1.leaf").read_bytes().rstrip(b"\n"), keys
    )
    out.print(
        "[bold]6.[/bold] Inclusion proof for seq 1 against the newest checkpoint: "
        + ("[green]verified[/green]" if proof_report.ok else "[red]FAILED[/red]")
    )
    tampered = directory / "tampered-bundle"
    shutil.copytree(bundle, tampered)
    lines = (tampered / "entries.jsonl").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"PENDING_REVIEW", b"CONFIRMED")
    (tampered / "entries.jsonl").write_bytes(b"\n".join(lines))
    bad = verifier.verify_bundle(tampered, keys)
    out.print(
        "[bold]7.[/bold] A copy with one word changed in seq 2: "
        + (
            f"[green]tampering detected, first bad seq {bad.first_bad_seq}[/green]"
            if not bad.ok
            else "[red]NOT DETECTED[/red]"
        )
    )
    out.print(
        f"\nVerify it yourself: uv run custos ledger verify {bundle} --keys {bundle}/trusted-keys.txt",
        soft_wrap=True,
    )
    if not report.ok or not proof_report.ok or bad.ok:
        raise typer.Exit(1)
    _matching(out, directory / "matching")
    out.print("\nThe request pipeline and the operator console arrive with the next issues; see README.md.")


def _matching(out: Console, directory: Path) -> None:
    """Generate labelled synthetic data, index the master file and match the requests."""
    from custos.cli import main as custos  # noqa: PLC0415 - the demo drives the real commands

    out.print("\n[bold]8.[/bold] The matching engine on synthetic data (20,000 taxpayers, 2,000 requests):")
    for argv in (
        ["synth", "--out", str(directory), "--master", "20000", "--requests", "2000", "--seed", "7"],
        ["master", "load", str(directory / "master.csv"), "--into", str(directory / "master.idx")],
        ["match", "--master", str(directory / "master.idx"), "--requests", str(directory / "requests.csv"),
         "--out", str(directory / "results.csv")],
    ):  # fmt: skip
        out.print(f"$ custos {' '.join(argv)}", style="dim", soft_wrap=True)
        if custos(argv) != 0:
            raise typer.Exit(1)
