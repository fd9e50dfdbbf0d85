"""``custos user add``: console accounts, created by an administrator from the command line (R47).

The password is read from a prompt (never from an argument, which would land in
the shell history and the process list) or from ``--password-file``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from custos.cli.agreement import ByOption, operator
from custos.cli.common import State
from custos.console.accounts import create_user
from custos.console.roles import Role

app = typer.Typer(help="Console accounts.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="Account id (letters, digits, '-', '.').")],
    *,
    name: Annotated[str, typer.Option(help="The person's name as shown in the console.")],
    role: Annotated[list[Role], typer.Option(help="A role; repeat for several.")],
    by: ByOption,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Read the password from this file.")
    ] = None,
) -> None:
    """Create a console account with one or more roles."""
    state: State = ctx.obj
    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with state.runtime() as runtime:
        create_user(runtime.ledger, user_id, name, roles=frozenset(role), password=password, by=operator(by))
    Console().print(f"Account {user_id} created with roles {', '.join(sorted(role))}")
