"""Resuming batches a crash interrupted: no accepted record is lost or left half-answered.

A batch is ``validating`` from the moment it is accepted until every record has
its decision.  Every step commits in small transactions with its ledger events,
and :meth:`DecisionPipeline.process` rebuilds its state from the database, so a
batch whose process died (SIGKILL, power cut) resumes where the last commit left
it: validated records are not validated twice, decided records not decided twice.
If its file is gone or changed, the batch is reported ``failed`` instead
(with a ledger event), never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from custos.accounting.claims import claim_is_stale, process_token
from custos.accounting.pipeline import BatchSummary, DecisionPipeline
from custos.accounting.tables import batch
from custos.errors import IntakeError, PipelineError
from custos.ledger.events import Actor, AuditEvent, EventType, ObjectRef, Outcome

RECOVERY = Actor.system("recovery")


@dataclass(frozen=True, slots=True)
class Recovered:
    """What became of one interrupted batch."""

    batch_id: str
    summary: BatchSummary | None  # None when it could not be resumed and was failed
    problem: str | None = None


def interrupted_batches(pipeline: DecisionPipeline, retired_hosts: frozenset[str] = frozenset()) -> list[str]:
    """Batches still in processing whose process is gone (or whose host was declared retired)."""
    with pipeline.runtime.database.read() as connection:
        rows = connection.execute(
            select(batch.c.batch_id, batch.c.claimed_by).where(batch.c.status == "validating")
        ).all()
    return [row.batch_id for row in rows if claim_is_stale(row.claimed_by, retired_hosts)]


def claim(pipeline: DecisionPipeline, batch_id: str, retired_hosts: frozenset[str] = frozenset()) -> bool:
    """Take over an interrupted batch; False when another process got there first."""
    mine = process_token()
    with pipeline.ledger.transaction() as tx:
        current = tx.connection.execute(
            select(batch.c.claimed_by).where(batch.c.batch_id == batch_id, batch.c.status == "validating")
        ).first()
        if current is None or not claim_is_stale(current.claimed_by, retired_hosts):
            return False
        previous_host = (current.claimed_by or "").partition(":")[0]
        tx.connection.execute(update(batch).where(batch.c.batch_id == batch_id).values(claimed_by=mine))
        tx.append(
            AuditEvent(
                EventType.ADMIN_ACTION, RECOVERY, "resume_batch", Outcome.SUCCESS,
                object=ObjectRef("batch", batch_id),
                details={"previous_claim": (current.claimed_by or "")[:160], "claim": mine[:160],
                         "retired_host": previous_host[:160] if previous_host in retired_hosts else None},
            )
        )  # fmt: skip
    return True


def recover(pipeline: DecisionPipeline, retired_hosts: frozenset[str] = frozenset()) -> list[Recovered]:
    """Resume every interrupted batch this process can claim, one after another.

    ``retired_hosts``: hosts an operator has declared gone for good; their batches are taken
    over too.  A batch whose file is not readable here (another host's spool) is failed with a
    ledger entry, never guessed at, and the requester resubmits it.
    """
    outcomes = []
    for batch_id in interrupted_batches(pipeline, retired_hosts):
        if not claim(pipeline, batch_id, retired_hosts):
            continue
        try:
            outcomes.append(Recovered(batch_id, pipeline.process(batch_id)))
        except (PipelineError, IntakeError) as exc:
            outcomes.append(Recovered(batch_id, None, str(exc)))
    return outcomes
