"""The application factory uvicorn imports in each worker process (``custos serve``).

Workers are separate processes, so the data directory travels in
``CUSTOS_DATA_DIR``, which ``custos serve`` sets before starting uvicorn.
"""

from __future__ import annotations

from fastapi import FastAPI

from custos.api.app import create_app
from custos.config import Settings


def application() -> FastAPI:
    """The API over the installation in ``$CUSTOS_DATA_DIR``."""
    return create_app(Settings.load())
