"""One writer process of the concurrency test: open the installation, wait for the start, append."""

from __future__ import annotations

import time
from pathlib import Path

from custos.config import Settings
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.runtime import Runtime


def append_events(data_dir: str, worker: int, transactions: int, start_at: float) -> None:
    """Append ``transactions`` transactions of 1-3 events each, tagged with worker and number."""
    runtime = Runtime.open(Settings.load(Path(data_dir)))
    try:
        time.sleep(max(0.0, start_at - time.time()))
        for n in range(transactions):
            with runtime.ledger.transaction() as tx:
                for part in range(1 + n % 3):
                    tx.append(
                        AuditEvent(
                            EventType.ADMIN_ACTION,
                            Actor.system(f"writer-{worker}"),
                            "concurrency_test",
                            Outcome.SUCCESS,
                            details={"worker": worker, "n": n, "part": part},
                        )
                    )
    finally:
        runtime.close()
