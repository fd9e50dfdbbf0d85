"""Test seams shared by custos's own tests and by anyone embedding custos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The current fixed time."""
        return self.current

    def advance(self, **delta: float) -> None:
        """Move forward, e.g. ``advance(seconds=61)``."""
        self.current += timedelta(**delta)
