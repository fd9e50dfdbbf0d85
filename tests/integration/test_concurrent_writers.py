"""Eight worker processes append to one ledger at once (as `custos serve --workers 8` does).

On PostgreSQL every write transaction queues on one advisory lock; on SQLite on
the database's write lock.  Either way the ledger must come out as if the
transactions had run one after another: every seq from 0 to the size taken
exactly once, each transaction's events contiguous and in order, nothing lost,
the tree and the signed checkpoints verifiable offline.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.integration.concurrent_writer import append_events

from custos.ledger import verifier
from custos.ledger.events import Actor, ActorKind
from custos.ledger.export import export_bundle
from custos.ledger.tables import ledger_entry
from custos.runtime import Runtime

WORKERS = 8
TRANSACTIONS = 40  # 1-3 events each: 80 events per worker


@pytest.mark.slow
def test_eight_processes_append_without_losing_or_duplicating_a_seq(runtime: Runtime, tmp_path: Path) -> None:
    """Every event lands exactly once, transactions stay contiguous, the ledger verifies offline."""
    before = runtime.ledger.head().size
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 4.0  # let every process open its runtime first
    processes = [
        context.Process(
            target=append_events, args=(str(runtime.settings.data_dir), worker, TRANSACTIONS, start_at)
        )
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0] * WORKERS

    per_worker = sum(1 + n % 3 for n in range(TRANSACTIONS))
    head = runtime.ledger.head()
    assert head.size == before + WORKERS * per_worker
    with runtime.database.read() as connection:
        seqs = list(connection.execute(select(ledger_entry.c.seq).order_by(ledger_entry.c.seq)).scalars())
    assert seqs == list(range(head.size))

    seen: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for seq in range(before, head.size):
        details = json.loads(runtime.ledger.leaf(seq))["details"]
        seen[details["worker"]].append((details["n"], details["part"], seq))
    for worker in range(WORKERS):
        events = seen[worker]
        assert [(n, part) for n, part, _ in events] == [
            (n, part) for n in range(TRANSACTIONS) for part in range(1 + n % 3)
        ], f"worker {worker}: events lost, duplicated or out of order"
        for n in range(TRANSACTIONS):  # one transaction's events are adjacent
            in_transaction = [seq for m, _, seq in events if m == n]
            assert in_transaction == list(range(in_transaction[0], in_transaction[0] + len(in_transaction)))

    assert runtime.ledger.audit().ok
    result = export_bundle(runtime.ledger, tmp_path / "bundle", Actor(ActorKind.AUDITOR, "test-auditor"))
    assert result.audited
    bundle = tmp_path / "bundle"
    keys = verifier.parse_keys((bundle / "trusted-keys.txt").read_text(encoding="utf-8"))
    report = verifier.verify_bundle(bundle, keys, None, None)
    assert report.ok, report
