"""Signing checkpoints in quiet periods.

The ledger signs a checkpoint at the end of a write transaction once it is due
(every N entries, or T seconds after the last one if anything changed).  Entries
written just before a quiet spell would then wait, unsigned and unpublished, for
the next write, which at night or over a weekend could be hours: a restored or
rewritten database would go unnoticed that long.  Each server process therefore
runs this timer, which asks the ledger every ``checkpoint_interval_seconds``
whether a checkpoint is due.  Several processes may tick at once: the check and
the signing happen under the write lock, so at most one of them signs.
"""

from __future__ import annotations

import logging
import threading

from custos.errors import Error
from custos.ledger.models import SignedCheckpoint
from custos.ledger.service import Ledger

logger = logging.getLogger("custos.api")


class CheckpointTimer:
    """A daemon thread calling :meth:`Ledger.checkpoint_if_due` every ``period`` seconds."""

    def __init__(self, ledger: Ledger, period: float) -> None:
        self.ledger = ledger
        self.period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="custos-checkpoints", daemon=True)

    def start(self) -> None:
        """Start ticking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the tick in hand, if any."""
        self._stop.set()
        self._thread.join(timeout=30)

    def tick(self) -> SignedCheckpoint | None:
        """Sign a checkpoint if one is due; an error is logged, never raised (the next tick retries)."""
        try:
            signed = self.ledger.checkpoint_if_due()
        except Error as exc:  # an alarm, a storage error: the server goes on, and the log says so
            logger.error("checkpoint timer could not sign", extra={"error": type(exc).__name__})
            return None
        if signed is not None:
            logger.info("checkpoint signed in a quiet period", extra={"tree_size": signed.size})
        return signed

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.tick()
