"""The ``custos`` command: thin adapters over the library, one place for errors.

Each command parses its arguments, calls one library function and renders
the result; a :class:`custos.errors.Error` becomes its ``diagnostics()`` on
stderr and exit status 1 (usage errors exit 2, as typer's do).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from custos.cli import agreement, batch, db, demo, hold, ledger, match, review, serve, synth, user
from custos.cli.common import State
from custos.demo_setup import DEMO_AGREEMENT, HEAD, create_demo_installation
from custos.errors import Error
from custos.runtime import DatabaseTarget, initialize
from custos.storage.postgres import safe_url

app = typer.Typer(
    name="custos",
    help="Custodian-side gateway for statutory verification requests, with a tamper-evident ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ledger.app, name="ledger")
app.add_typer(db.app, name="db")
app.add_typer(agreement.app, name="agreement")
app.add_typer(batch.app, name="batch")
app.add_typer(batch.case_app, name="case")
app.add_typer(hold.app, name="hold")
app.add_typer(review.app, name="review")
app.add_typer(user.app, name="user")
app.add_typer(match.master_app, name="master")
app.command("match")(match.match)
app.command("synth")(synth.run_synth)
app.command("demo")(demo.run_demo)
app.command("serve")(serve.serve)

DirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Data directory (default: $CUSTOS_DATA_DIR or ./custos-data)."),
]


@app.callback()
def _root(ctx: typer.Context, data_dir: DirOption = None) -> None:
    ctx.obj = State(data_dir)


@app.command("init")
def init_command(  # noqa: PLR0917 (typer passes options positionally)
    ctx: typer.Context,
    data_dir: DirOption = None,
    origin: Annotated[str | None, typer.Option(help="Ledger origin and key name.")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Also add demo signers, agreement, master and batch.")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL custos connects as (the application role); default SQLite."),
    ] = None,
    owner_url: Annotated[
        str | None,
        typer.Option(envvar="CUSTOS_DB_OWNER_URL", help="URL of the schema owner that runs the migrations."),
    ] = None,
) -> None:
    """Create a data directory: configuration, database, ledger signing key."""
    state: State = ctx.obj
    out = Console()
    target = DatabaseTarget(database_url, owner_url) if database_url else None
    if demo:
        installation = create_demo_installation(state.resolve(data_dir), database=target)
        settings = installation.settings
        out.print(f"Initialized a demo installation in [bold]{settings.data_dir}[/bold]")
        out.print(f"  agreement {DEMO_AGREEMENT} v1, active: {installation.agreement}")
        out.print(f"  signer keys       {installation.head_key}, {installation.component_key}")
        out.print(f"  master index      {settings.path(settings.master_index)} (from {installation.master})")
        out.print(f"  demo batch        {installation.batch}")
        out.print("Try:")
        out.print(
            f"  custos --dir {settings.data_dir} batch sign {installation.batch} "
            f"--key {installation.head_key} --signer {HEAD} --agreement {DEMO_AGREEMENT} --version 1"
        )
        out.print(f"  custos --dir {settings.data_dir} batch submit {installation.batch} "
                  f"--envelope {installation.batch}.envelope.json")  # fmt: skip
        return
    settings = initialize(state.resolve(data_dir), origin, database=target)
    out.print(f"Initialized custos in [bold]{settings.data_dir}[/bold]")
    out.print(f"  configuration   {settings.data_dir / 'custos.toml'}")
    guarantees = "WAL, synchronous=FULL" if target is None else "fsync, full_page_writes, synchronous_commit"
    out.print(f"  database        {safe_url(settings.resolved_database_url)} ({guarantees})")
    out.print(f"  signing key     {settings.path(settings.ledger_key_file)} (mode 0600; back it up offline)")
    out.print(f"  checkpoints     {settings.path(settings.checkpoint_publish_dir)}")
    out.print(f"  ledger origin   {settings.ledger_origin}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    try:
        # Outside standalone mode click returns a command's typer.Exit code instead of raising it.
        result = app(args=list(argv) if argv is not None else None, prog_name="custos", standalone_mode=False)
    except Error as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc.diagnostics()}", highlight=False, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except typer.TyperException as exc:  # usage errors: exit 2, with the message
        if exc.format_message():
            Console(stderr=True).print(
                f"[red]error:[/red] {exc.format_message()}", highlight=False, soft_wrap=True
            )
        return exc.exit_code
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
