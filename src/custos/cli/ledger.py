"""``custos ledger``: checkpoints, audits, exports, proofs and offline verification."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from custos.cli.common import State
from custos.ledger import verifier
from custos.ledger.events import Actor, ActorKind
from custos.ledger.export import consistency_file, export_bundle, tlog_proof
from custos.ledger.publish import write_atomically
from custos.policy.keys import official_keys

app = typer.Typer(help="Inspect, export and verify the tamper-evident ledger.", no_args_is_help=True)

KeysOption = Annotated[Path, typer.Option("--keys", help="trusted-keys.txt obtained out of band.")]


def _operator() -> Actor:
    return Actor(ActorKind.OPERATOR, f"cli:{os.environ.get('USER', 'unknown')}")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the tree size, root, newest checkpoint and any integrity alarm."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        head = runtime.ledger.head()
        checkpoints = runtime.ledger.checkpoints()
        newest = checkpoints[-1] if checkpoints else None
        print(
            json.dumps(
                {
                    "origin": runtime.ledger.origin,
                    "entries": head.size,
                    "root": head.root.hex(),
                    "newest_checkpoint": {"size": newest.size, "signed_at": newest.signed_at}
                    if newest
                    else None,
                    "alarm": runtime.ledger.alarm.reason(),
                    "verifier_key": runtime.ledger.signer.vkey,
                },
                indent=2,
            )
        )


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Audit all stored history, then sign and publish a checkpoint now."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        signed = runtime.ledger.checkpoint(full_audit=True)
        print(signed.note, end="")


@app.command("audit")
def audit(ctx: typer.Context) -> None:
    """Re-verify the stored ledger in place; exit 1 if anything fails."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        report = runtime.ledger.audit()
    print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    raise typer.Exit(0 if report.ok else 1)


@app.command("export")
def export(ctx: typer.Context, directory: Annotated[Path, typer.Argument(help="Bundle directory.")]) -> None:
    """Write an auditor bundle: entries, checkpoints, keys, officials' keys, verifier and instructions."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        result = export_bundle(runtime.ledger, directory, _operator())
        with runtime.database.read() as connection:
            officials = official_keys(connection)
    # Beside the bundle so the verifier can re-check every official's signature offline (AU-10).
    write_atomically(directory / "official-keys.json", (json.dumps(officials, indent=2) + "\n").encode())
    Console().print(
        f"Exported {result.entries} entries and {result.checkpoints} checkpoints to {directory}"
        + ("" if result.audited else " [red](the ledger is alarmed: no new checkpoint)[/red]")
    )


@app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="Bundle directory from 'custos ledger export'.")],
    keys: KeysOption,
    prev_checkpoint: Annotated[
        Path | None, typer.Option(help="The newest checkpoint you kept from an earlier visit.")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="Log origin to accept.")] = None,
    official_keys: Annotated[
        Path | None,
        typer.Option(
            "--official-keys", help="official-keys.json: also re-verify every official's signature."
        ),
    ] = None,
) -> None:
    """Verify a bundle offline: exit 0 verified, 1 failed, 2 usage or parse error."""
    argv = ["bundle", str(directory), "--keys", str(keys)]
    argv += ["--prev-checkpoint", str(prev_checkpoint)] if prev_checkpoint else []
    argv += ["--origin", origin] if origin else []
    argv += ["--official-keys", str(official_keys)] if official_keys else []
    raise typer.Exit(verifier.main(argv))


@app.command("prove")
def prove(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="Entry to prove.")],
    out: Annotated[Path | None, typer.Option(help="Proof file (default SEQ.tlog-proof).")] = None,
) -> None:
    """Write a c2sp.org/tlog-proof@v1 inclusion proof for SEQ, and the leaf beside it."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        text = tlog_proof(runtime.ledger, seq)
        leaf = runtime.ledger.leaf(seq)
    out = out or Path(f"{seq}.tlog-proof")
    leaf_path = out.with_suffix(".leaf")
    write_atomically(out, text.encode("utf-8"))
    write_atomically(leaf_path, leaf + b"\n")
    Console().print(f"Wrote {out} and {leaf_path}")


@app.command("verify-proof")
def verify_proof(
    proof: Annotated[Path, typer.Argument(help="A .tlog-proof file.")],
    leaf: Annotated[Path, typer.Option(help="File holding the leaf line.")],
    keys: KeysOption,
) -> None:
    """Verify an inclusion proof offline (exit codes as for verify)."""
    raise typer.Exit(verifier.main(["inclusion", str(proof), "--leaf", str(leaf), "--keys", str(keys)]))


@app.command("consistency")
def consistency(
    ctx: typer.Context,
    old_size: Annotated[int, typer.Argument(help="Size of the older signed checkpoint.")],
    out: Annotated[Path, typer.Option(help="Output file.")] = Path("ledger.consistency"),
) -> None:
    """Write a consistency proof from the checkpoint at OLD_SIZE to the newest one."""
    state: State = ctx.obj
    with state.runtime() as runtime:
        text = consistency_file(runtime.ledger, old_size)
    write_atomically(out, text.encode("utf-8"))
    Console().print(f"Wrote {out}")
