"""Processing accepted batches in the background, one at a time per server process.

``POST /v1/batches`` answers 202 as soon as a batch is accepted (its
``request.received`` entry is committed); this worker then runs the rest of the
pipeline.  At start-up it claims batches whose process died mid-way and resumes
them (:mod:`custos.accounting.recovery`), so a SIGKILL loses no accepted record.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from sqlalchemy import select

from custos.accounting.pipeline import DecisionPipeline
from custos.accounting.recovery import claim, interrupted_batches
from custos.accounting.tables import batch
from custos.accounting.transport import purge_nonces
from custos.errors import Error

logger = logging.getLogger("custos.api")
PURGE_INTERVAL_SECONDS = 600


class BatchWorker:
    """A daemon thread draining a queue of batch ids through :meth:`DecisionPipeline.process`."""

    def __init__(self, pipeline: DecisionPipeline, spool_dir: Path) -> None:
        self.pipeline = pipeline
        self.spool_dir = spool_dir.resolve()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="custos-batches", daemon=True)
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        """Start the thread and queue every interrupted batch this process can claim."""
        self._thread.start()
        for batch_id in interrupted_batches(self.pipeline):
            if claim(self.pipeline, batch_id):
                logger.info("resuming interrupted batch", extra={"batch_id": batch_id})
                self.submit(batch_id)

    def submit(self, batch_id: str) -> None:
        """Queue an accepted batch."""
        self._idle.clear()
        self._queue.put(batch_id)

    def stop(self) -> None:
        """Finish the batch in hand and stop (queued batches resume at the next start)."""
        self._queue.put(None)
        self._thread.join(timeout=60)

    def wait_idle(self, timeout: float) -> bool:
        """Block until the queue is empty and nothing is in hand (for tests and orderly shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                batch_id = self._queue.get(timeout=PURGE_INTERVAL_SECONDS)
            except queue.Empty:
                self._purge_nonces()
                continue
            if batch_id is None:
                return
            try:
                self._process(batch_id)
            finally:
                if self._queue.empty():
                    self._idle.set()

    def _process(self, batch_id: str) -> None:
        source = self._source(batch_id)
        try:
            summary = self.pipeline.process(batch_id)
            logger.info("batch processed", extra={"batch_id": batch_id, "status": summary.status})
        except Error as exc:
            logger.error("batch failed", extra={"batch_id": batch_id, "error": type(exc).__name__})
        except Exception:  # the thread must survive; the batch stays claimed and resumes at restart
            logger.exception("batch processing crashed", extra={"batch_id": batch_id})
            return
        # The spooled file goes only once the batch is settled: after a database outage or an
        # integrity alarm it is still 'validating' and resumes from this file at the next start.
        if source is not None and source.parent == self.spool_dir and self._settled(batch_id):
            source.unlink(missing_ok=True)

    def _settled(self, batch_id: str) -> bool:
        try:
            with self.pipeline.runtime.database.read() as connection:
                query = select(batch.c.status).where(batch.c.batch_id == batch_id)
                status = connection.execute(query).scalar()
        except Error:
            return False
        return status is not None and status != "validating"

    def _purge_nonces(self) -> None:
        """Drop replay-table rows older than any signature that could still verify."""
        now = int(self.pipeline.ledger.clock.now().timestamp())
        try:
            with self.pipeline.runtime.database.write() as connection:
                purge_nonces(connection, now)
        except Error:
            logger.warning("could not purge old request nonces", extra={"error": "StorageError"})

    def _source(self, batch_id: str) -> Path | None:
        with self.pipeline.runtime.database.read() as connection:
            path = connection.execute(
                select(batch.c.source_path).where(batch.c.batch_id == batch_id)
            ).scalar()
        return Path(path) if path else None
