"""Fixtures: the API over a private copy of the demo installation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.unit.accounting.harness import Harness
from tests.unit.api.client import SignedClient

from custos.api.app import create_app
from custos.config import Settings


@pytest.fixture
def api(demo: Harness) -> Iterator[SignedClient]:
    """A signing client for an API over the demo installation (the harness's copy)."""
    settings = Settings.load(demo.directory)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield SignedClient(client, settings, demo.directory)


@pytest.fixture
def unsigned(demo: Harness) -> Iterator[TestClient]:
    """A plain client for the same API."""
    with TestClient(create_app(Settings.load(demo.directory))) as client:
        yield client
