"""Shared fixtures: the backend, the conformance vectors in ../shared, installations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests import backend

from custos.testing import FixedClock

if TYPE_CHECKING:
    from tests.unit.accounting.harness import Harness

    from custos.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the tests about the other backend's own mechanics."""
    other = "sqlite_only" if backend.POSTGRES else "postgres_only"
    deselected = [item for item in items if item.get_closest_marker(other)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


def pytest_report_header() -> str:
    """Say which backend the session runs on."""
    return f"custos backend: {backend.BACKEND}" + (f" at {backend.SERVER}" if backend.POSTGRES else "")


@pytest.fixture(scope="session", autouse=True)
def postgres_installations() -> Iterator[None]:
    """On PostgreSQL, every installation a test initializes gets a database of its own."""
    if not backend.POSTGRES:
        yield
        return
    import custos.runtime

    try:
        backend.drop_leftovers()
    except Exception as exc:  # a PostgreSQL run without a server fails; it never skips
        pytest.exit(
            f"CUSTOS_TEST_BACKEND=postgresql but the server is not usable ({exc}); run .ci/postgres", 3
        )
    dropper = backend.Dropper()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(custos.runtime, "default_database", lambda _data_dir: backend.new_database())
        patch.setattr(backend, "drop_after_test", dropper.drop)
        yield
    dropper.close()
    backend.drop(backend.created + backend.kept)


@pytest.fixture(autouse=True)
def drop_test_databases() -> Iterator[None]:
    """Drop the databases a test made (session templates live until the session ends)."""
    before = len(backend.created)
    yield
    if backend.POSTGRES and len(backend.created) > before:
        made = backend.created[before:]
        del backend.created[before:]
        backend.drop_after_test(made)


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

    with backend.keeping():
        return build_template(tmp_path_factory.mktemp("demo-template") / "data")


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[Harness]:
    """A private copy of the demo installation, opened."""
    from tests.unit.accounting.harness import Harness

    harness = Harness(demo_template, tmp_path / "data")
    yield harness
    harness.close()
