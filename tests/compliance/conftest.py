"""A demo installation built once per session and copied for each compliance test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.accounting.harness import Harness, build_template


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("demo-template") / "data")


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(demo_template, tmp_path / "data")
    yield harness
    harness.close()
