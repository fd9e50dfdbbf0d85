"""Shared fixtures: paths to the conformance vectors in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The conformance vectors shipped beside the repository."""
    path = SHARED / "vectors"
    if not path.is_dir():
        pytest.fail(f"conformance vectors not found at {path}: check out shared/ beside the repo")
    return path
