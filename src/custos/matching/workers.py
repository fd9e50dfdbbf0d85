"""Worker processes for the CPU-bound Python parts of loading and matching.

Both build the pool the same way: "spawn" workers (forking a process that runs
DuckDB threads is unsafe), each with the collector relaxed before it starts.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def relax_garbage_collector() -> None:
    """Collect young objects less often in bulk work.

    Why: a page of work allocates hundreds of thousands of small objects that
    live until the page is done.  With CPython's default threshold (700
    allocations) the collector keeps re-scanning them: on 100,000 requests
    against a 2,000,000-taxpayer index it doubled the matching time (30.7 s
    against 14.9 s), and address standardization ran at half speed.
    Reference counting still frees almost everything at once; only cycles
    wait longer.
    """
    gc.set_threshold(100_000, 50, 100)


def _start(initializer: Callable[..., None] | None, arguments: tuple[object, ...]) -> None:
    relax_garbage_collector()
    if initializer is not None:
        initializer(*arguments)


def spawn_pool(
    workers: int, initializer: Callable[..., None] | None = None, arguments: tuple[object, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes; a script using it needs a ``__main__`` guard."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, arguments),
    )
