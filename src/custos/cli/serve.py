"""``custos serve``: the signed HTTP API on uvicorn.

TLS belongs in front: run behind a TLS-terminating proxy (mTLS where the partner
agency's PKI allows it) and set ``api_public_url`` to the URL clients sign.  See
docs/api.md.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from custos.cli.common import State
from custos.config import Settings


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Listen address (default: api_host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: api_port).")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes (default: api_workers).")] = None,
) -> None:
    """Serve the API: signed lookups, batches, results and case status."""
    state: State = ctx.obj
    directory = state.resolve()
    settings = Settings.load(directory)  # fail here, not in every worker, on a bad configuration
    os.environ["CUSTOS_DATA_DIR"] = str(directory)
    host = host or settings.api_host
    port = port or settings.api_port
    Console(stderr=True).print(
        f"custos API on http://{host}:{port} (clients sign {settings.api_public_url}); data in {directory}"
    )
    uvicorn.run(
        "custos.api.asgi:application", factory=True, host=host, port=port,
        workers=workers or settings.api_workers, access_log=False, log_level="warning",
        timeout_graceful_shutdown=30,
    )  # fmt: skip
