"""Matching a large request file on every core, with the same engine as a single lookup.

Standardizing and deciding are pure Python and CPU-bound, so a batch is cut
into pages that worker processes decide, each with its own read-only
connection to the master index (DuckDB lets many processes read one file).
Pages come back in the order they were sent, at most two per worker in
flight, so memory stays bounded and the results file is in request order.

Duplicate record ids are found here, in the parent, before any page leaves:
only the parent sees the whole file.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from custos.matching.engine import MatchEngine, prepare
from custos.matching.index import MasterIndex
from custos.matching.models import Decision
from custos.matching.thresholds import MatchThresholds
from custos.matching.workers import spawn_pool

Row = Mapping[str, str | None]
DUPLICATE_ID = "record_id repeats an earlier record"


_WORKER_ENGINE: dict[str, MatchEngine] = {}  # the engine of this worker process, opened once


def _start_worker(index_path: str, memory_limit: str, thresholds: MatchThresholds | None) -> None:
    index = MasterIndex(Path(index_path), memory_limit=memory_limit, threads=1)
    _WORKER_ENGINE["engine"] = MatchEngine(index, thresholds)


def _decide_page(rows: Sequence[Row], duplicates: Sequence[bool]) -> list[Decision]:
    return _decide(_WORKER_ENGINE["engine"], rows, duplicates)


def _decide(engine: MatchEngine, rows: Sequence[Row], duplicates: Sequence[bool]) -> list[Decision]:
    requests = []
    for row, duplicate in zip(rows, duplicates, strict=True):
        request = prepare(row)
        if duplicate:
            request = replace(request, defects=(*request.defects, DUPLICATE_ID))
        requests.append(request)
    return engine.match_batch(requests)


class BatchMatcher:
    """Decide pages of request rows in order, in ``workers`` processes (or in this one).

    Use as a context manager; :meth:`match` yields one list of decisions per page.
    A script using more than one worker must guard its entry point with
    ``if __name__ == "__main__"`` (workers are spawned, see :mod:`custos.matching.workers`).
    """

    def __init__(
        self,
        index_path: Path,
        *,
        workers: int = 1,
        memory_limit: str = "4GB",
        threads: int = 2,
        thresholds: MatchThresholds | None = None,
        engine: MatchEngine | None = None,
    ) -> None:
        self._workers = 1 if engine is not None else max(1, workers)
        self._seen: set[str] = set()
        self._pool: ProcessPoolExecutor | None = None
        self._owns_index = engine is None
        # Opened here too: it checks the index before any worker starts, and gives the snapshot id.
        self._engine = engine or MatchEngine(
            MasterIndex(index_path, memory_limit=memory_limit, threads=threads), thresholds
        )
        self.index = self._engine.index
        if self._workers > 1:
            self._pool = spawn_pool(self._workers, _start_worker, (str(index_path), memory_limit, thresholds))

    def __enter__(self) -> BatchMatcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and close the index."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._owns_index:
            self.index.close()

    def _duplicates(self, rows: Sequence[Row]) -> list[bool]:
        flags = []
        for row in rows:
            record_id = (row.get("record_id") or "").strip()
            flags.append(bool(record_id) and record_id in self._seen)
            self._seen.add(record_id)
        return flags

    def match(self, pages: Iterable[Sequence[Row]]) -> Iterator[list[Decision]]:
        """Decisions for each page of rows, in order."""
        if self._pool is None:
            for rows in pages:
                yield _decide(self._engine, rows, self._duplicates(rows))
            return
        pending: deque[Future[list[Decision]]] = deque()
        for rows in pages:
            pending.append(self._pool.submit(_decide_page, list(rows), self._duplicates(rows)))
            if len(pending) >= 2 * self._workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class SharedIndex:
    """One master index kept open for the small batches of a long-running server (lookups).

    Opening the DuckDB index costs more than deciding a lookup, so a server keeps one
    connection and reopens it only when the index file is replaced (a new snapshot).
    A DuckDB connection must not be used by two threads at once, so matchers take turns;
    a lookup holds the index for milliseconds.
    """

    def __init__(self, path: Path, *, memory_limit: str = "1GB", threads: int = 1) -> None:
        self.path = path
        self._memory_limit = memory_limit
        self._threads = threads
        self._lock = threading.Lock()
        self._engine: MatchEngine | None = None
        self._identity: tuple[int, int] | None = None

    @contextmanager
    def matcher(self) -> Iterator[BatchMatcher]:
        """A matcher over the current index, held exclusively until the block ends."""
        with self._lock:
            stat = self.path.stat()
            identity = (stat.st_ino, stat.st_mtime_ns)
            if self._engine is None or identity != self._identity:
                self.close_unlocked()
                index = MasterIndex(self.path, memory_limit=self._memory_limit, threads=self._threads)
                self._engine, self._identity = MatchEngine(index), identity
            yield BatchMatcher(self.path, engine=self._engine)

    @contextmanager
    def engine(self) -> Iterator[MatchEngine]:
        """The engine over the current index, held exclusively until the block ends."""
        with self.matcher():
            assert self._engine is not None  # noqa: S101 - matcher() opened it
            yield self._engine

    def close_unlocked(self) -> None:
        """Close the open index (the caller holds the lock or is the only user)."""
        if self._engine is not None:
            self._engine.index.close()
            self._engine = None

    def close(self) -> None:
        """Close the open index."""
        with self._lock:
            self.close_unlocked()
