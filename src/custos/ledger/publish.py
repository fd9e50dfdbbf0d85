"""Getting checkpoints out of the operator's database, and the integrity alarm.

A checkpoint only protects history once someone outside the database holds
it.  The publisher writes each signed checkpoint to a directory meant to be
write-once storage or an auditor's inbox, atomically (temp file, fsync,
rename, fsync of the directory), so a crash leaves either the old or the new
file, never a torn one.  The alarm is a file beside it: once tripped, the
ledger is read-only until an administrator clears it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from custos.errors import LedgerReadOnlyError
from custos.ledger.models import Clock, SignedCheckpoint, format_timestamp

logger = logging.getLogger(__name__)

LATEST = "latest.checkpoint"


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so that readers see all of one version or the other."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class CheckpointPublisher:
    """Writes ``<size>.checkpoint`` once per checkpoint and keeps ``latest.checkpoint`` current."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def publish(self, checkpoint: SignedCheckpoint) -> None:
        """Publish one signed checkpoint (idempotent; latest never moves backwards)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data = checkpoint.note.encode("utf-8")
        with self._lock():
            self._remove_stale_temporaries()
            numbered = self.directory / f"{checkpoint.size}.checkpoint"
            if not numbered.exists():
                write_atomically(numbered, data)
            latest = self.latest()
            if latest is None or latest.size <= checkpoint.size:
                write_atomically(self.directory / LATEST, data)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialize publishers across processes, so a slower one cannot roll latest back."""
        with (self.directory / ".publish.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_stale_temporaries(self) -> None:
        """Delete temporaries a crashed publisher left (they never replaced anything)."""
        for path in self.directory.glob(".*.checkpoint.*"):
            path.unlink(missing_ok=True)

    def latest_note(self) -> str | None:
        """The newest published note, verbatim, if any."""
        path = self.directory / LATEST
        return path.read_text(encoding="utf-8") if path.exists() else None

    def latest(self) -> SignedCheckpoint | None:
        """The newest published checkpoint's size and root (signature not checked here)."""
        from custos.ledger.verifier import Checkpoint, parse_note  # noqa: PLC0415

        note = self.latest_note()
        if note is None:
            return None
        body = Checkpoint.parse_body(parse_note(note)[0])
        return SignedCheckpoint(body.size, body.root, note, "")


class IntegrityAlarm:
    """A persistent alarm: set when stored history fails a check, cleared only by hand."""

    def __init__(self, path: Path | None, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        self._memory: str | None = None

    def reason(self) -> str | None:
        """Why the alarm was raised, or None when it is not."""
        if self.path is not None and self.path.exists():
            return self.path.read_text(encoding="utf-8")
        return self._memory

    def raise_if_set(self) -> None:
        """Refuse to continue while the alarm stands."""
        reason = self.reason()
        if reason is not None:
            where = f" (alarm file {self.path})" if self.path else ""
            raise LedgerReadOnlyError(f"ledger integrity alarm{where}: {reason.strip()}")

    def trip(self, reason: str) -> None:
        """Raise the alarm; the ledger becomes read-only."""
        logger.critical("ledger integrity alarm: %s; the ledger is now read-only", reason)
        record = {"raised_at": format_timestamp(self._clock.now()), "reason": reason}
        self._memory = json.dumps(record)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, (self._memory + "\n").encode("utf-8"))
