"""Mounting the console on the custos server: the pages at ``/``, static files at ``/static``.

The console runs in the same process as the API, on the same opened installation
and the same master index, so a page and an API call see one state and write one
ledger through one set of functions.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from custos.console.pages import batches, holds, home, recall, recipients, reports, review

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI) -> None:
    """Add the console's routes and static files to ``app`` (kept out of the API's OpenAPI)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (home, batches, review, holds, recipients, reports, recall):
        app.include_router(module.router, include_in_schema=False)
