"""State shared by the CLI commands: where the data directory is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from custos.config import Settings, resolve_data_dir
from custos.runtime import Runtime


@dataclass(frozen=True, slots=True)
class State:
    """Options given before the subcommand."""

    data_dir: Path | None

    def resolve(self, override: Path | None = None) -> Path:
        """The data directory: a command's own --dir, the global one, env, default."""
        return resolve_data_dir(override or self.data_dir)

    @contextmanager
    def runtime(self) -> Iterator[Runtime]:
        """The installation in the data directory, closed again afterwards."""
        opened = Runtime.open(Settings.load(self.resolve()))
        try:
            yield opened
        finally:
            opened.close()
