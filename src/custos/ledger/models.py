"""Small values the ledger hands around, and the clock it reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time (a fixed clock in tests)."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, which operations keep synchronized (AU-8(1))."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with exactly three fractional digits, e.g. 2026-11-24T09:15:02.117Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of an append: the entry's seq and leaf hash."""

    seq: int
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class Head:
    """The tree after the last append: size, root, and what the next entry chains to."""

    size: int
    root: bytes
    last_leaf_hash: bytes | None
    last_recorded_at: str


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint note the log signed, with the values it commits to."""

    size: int
    root: bytes
    note: str
    signed_at: str


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """When to sign: every N entries, or after T seconds if anything changed."""

    every_entries: int = 256
    interval: timedelta = timedelta(seconds=60)

    def due(self, size: int, last: SignedCheckpoint | None, now: datetime) -> bool:
        """Whether a tree of ``size`` needs a new checkpoint after ``last``."""
        if last is None:
            return size > 0
        if size == last.size:
            return False
        return size - last.size >= self.every_entries or (
            now - parse_timestamp(last.signed_at) >= self.interval
        )
