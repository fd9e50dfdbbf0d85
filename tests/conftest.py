"""Shared fixtures: paths to the conformance vectors in ../shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from custos.testing import FixedClock

if TYPE_CHECKING:
    from tests.unit.accounting.harness import Harness

    from custos.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The conformance vectors shipped beside the repository."""
    path = SHARED / "vectors"
    if not path.is_dir():
        pytest.fail(f"conformance vectors not found at {path}: check out shared/ beside the repo")
    return path


@pytest.fixture
def data_dir(tmp_path: Path, clock: FixedClock) -> Path:
    """A freshly initialized installation."""
    from custos.runtime import initialize

    directory = tmp_path / "installation"
    initialize(directory, origin="test.custos.localhost/ledger/v1", clock=clock)
    return directory


@pytest.fixture
def clock() -> FixedClock:
    """A controllable clock."""
    return FixedClock()


@pytest.fixture
def runtime(data_dir: Path, clock: FixedClock) -> Iterator[Runtime]:
    """An opened installation with a fixed clock."""
    from custos.config import Settings
    from custos.runtime import Runtime

    opened = Runtime.open(Settings.load(data_dir), clock=clock)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo installation, built once per session for the pipeline and compliance tests."""
    from tests.unit.accounting.harness import build_template

    return build_template(tmp_path_factory.mktemp("demo-template") / "data")


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[Harness]:
    """A private copy of the demo installation, opened."""
    from tests.unit.accounting.harness import Harness

    harness = Harness(demo_template, tmp_path / "data")
    yield harness
    harness.close()
