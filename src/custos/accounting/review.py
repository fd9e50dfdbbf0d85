"""Additional verification of held records by a person (R29-R31, R65).

The engine holds a record (PENDING_REVIEW) whenever someone else could be meant:
relatives at one address, a Jr and Sr, a namesake, a near match.  A reviewer then
looks at the evidence and decides, with a written reason, within the agreement's
SLA.  The evidence is computed again from the request (opened from the
confidential store, an inspection) and the current master index, never taken from
the form: a reviewer can confirm only a taxpayer whose address of record is the
supplied delivery point and who may be the named person (R27, R28), and the (i)(6)
screen and legal holds apply as they do to the engine (R25, R5).

A review's answer is a ``decision.made`` entry by the reviewer that supersedes the
engine's (its details name the entry it supersedes), so every confirmation, by
engine or person, has the same checks in the ledger (R32).  Records held by a
policy rule (a nonspecific reason, an implausible engagement, a legal review) were
never matched: a review can only close them as not confirmed, and the requester
may correct and resubmit (R65).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, or_, select, update

from custos.accounting.screen import screen_key, screened, tin_commitment
from custos.accounting.tables import batch, case_id_of, case_number, case_record
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp, parse_timestamp
from custos.matching.engine import MatchEngine, prepare
from custos.matching.models import ENGINE_VERSION, Candidate, CandidateEvidence, Decision
from custos.policy.codes import response_code
from custos.policy.store import POLICY_VERSION, get_agreement, hold_in_force
from custos.runtime import Runtime
from custos.standardize.models import NORMALIZER_VERSION

ENGINE_HOLDS = frozenset({"AMBIGUOUS_HOUSEHOLD", "AMBIGUOUS_NAME", "MANUAL_REVIEW"})
MIN_REASON = 10


class ReviewError(PolicyError):
    """A review decision refused: not in the queue, no reason, or not a confirmable candidate."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One held record awaiting a person, with its SLA deadline."""

    case: str
    batch_id: str
    record_id: str
    code: str
    received_at: str
    due_at: str
    overdue: bool

    @property
    def confirmable(self) -> bool:
        """Whether a review may confirm it (engine holds) or only close it (policy holds)."""
        return self.code in ENGINE_HOLDS


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a reviewer sees: the request, the engine's evidence, and who else is at that address."""

    item: QueueItem
    request: dict[str, str | None]
    decision: Decision
    household: tuple[Candidate, ...]
    decided_snapshot: str | None
    current_snapshot: str

    def evidence_for(self, taxpayer_id: int) -> CandidateEvidence | None:
        """The engine's comparison of the request with one taxpayer."""
        return next((e for e in self.decision.evidence if e.taxpayer_id == taxpayer_id), None)

    @property
    def confirmable_ids(self) -> tuple[int, ...]:
        """Taxpayers at the supplied delivery point who may be the named person (R27, R28)."""
        if not self.item.confirmable:
            return ()
        return tuple(
            e.taxpayer_id for e in self.decision.evidence if e.same_delivery_point and e.possibly_named
        )


def review_queue(connection: Connection, now: dt.datetime) -> list[QueueItem]:
    """Held records of batches awaiting approval, oldest deadline first."""
    return sorted(_held(connection, now), key=lambda item: item.due_at)


def queue_item(connection: Connection, number: str, now: dt.datetime) -> QueueItem:
    """The queue entry of one case, or a ReviewError when it is not awaiting review.

    Looked up by its key, not by listing the queue: a reviewer working through a
    batch of a million records must not pay for the whole queue at every step.
    """
    case_id = case_id_of(number)
    found = _held(connection, now, case_id) if case_id is not None else []
    if not found:
        raise ReviewError(f"case {number} is not awaiting review")
    return found[0]


def _held(
    connection: Connection,
    now: dt.datetime,
    case_id: int | None = None,
    *,
    batch_id: str | None = None,
    limit: int | None = None,
) -> list[QueueItem]:
    query = (
        select(case_record.c.case_id, case_record.c.batch_id, case_record.c.record_id,
               case_record.c.internal_code, batch.c.received_at, batch.c.agreement_id,
               batch.c.agreement_version)
        .join(batch, batch.c.batch_id == case_record.c.batch_id)
        .where(batch.c.status == "awaiting_approval", case_record.c.reviewed_seq.is_(None),
               # the held codes (response_code's PENDING_REVIEW): a batch's decided records are not read
               or_(case_record.c.internal_code.startswith("HOLD_", autoescape=True),
                   case_record.c.internal_code.in_(ENGINE_HOLDS)))
        .order_by(batch.c.received_at, case_record.c.case_id)
    )  # fmt: skip
    if case_id is not None:
        query = query.where(case_record.c.case_id == case_id)
    if batch_id is not None:
        query = query.where(case_record.c.batch_id == batch_id)
    if limit is not None:
        query = query.limit(limit)
    items: list[QueueItem] = []
    sla_hours: dict[tuple[str, int], int] = {}  # one agreement lookup per agreement, not per record
    for row in connection.execute(query):
        if response_code(row.internal_code) != "PENDING_REVIEW":
            continue
        version = (row.agreement_id, row.agreement_version)
        if version not in sla_hours:
            spec = get_agreement(connection, row.agreement_id, row.agreement_version).spec
            sla_hours[version] = spec.limits.review_sla_hours
        hours = sla_hours[version]
        due = parse_timestamp(row.received_at) + dt.timedelta(hours=hours)
        items.append(QueueItem(case_number(row.case_id), row.batch_id, row.record_id, row.internal_code,
                               row.received_at, format_timestamp(due), now > due))  # fmt: skip
    return items


def gather_evidence(runtime: Runtime, engine: MatchEngine, number: str, actor: Actor) -> Evidence:
    """Open the request (an inspection, R47) and decide it again against the current index."""
    with runtime.database.read() as connection:
        item = queue_item(connection, number, runtime.ledger.clock.now())
        row = connection.execute(
            select(case_record.c.payload_commitment, batch.c.snapshot_id)
            .join(batch, batch.c.batch_id == case_record.c.batch_id)
            .where(case_record.c.case_id == case_id_of(number))
        ).one()
    opening = runtime.confidential.open(row.payload_commitment, actor, f"additional verification of {number}")
    fields: dict[str, str | None] = json.loads(opening.payload)
    request = prepare(fields)
    decision = engine.match_one(request)
    point = request.address.delivery_point_key
    household = tuple(c for c in engine.index.candidates_at(request.address.street_key)
                      if c.delivery_point_key == point)  # fmt: skip
    runtime.ledger.append(
        AuditEvent(
            EventType.ACCESS_READ, actor, "inspect_master_records", Outcome.SUCCESS,
            object=ObjectRef("case", number),
            authz=Authorization(POLICY_VERSION, "R47,R65", "allow"),
            details={"taxpayers_shown": len({c.taxpayer_id for c in household}
                                            | {e.taxpayer_id for e in decision.evidence}),
                     "snapshot_id": engine.index.info.snapshot_id},
        )
    )  # fmt: skip
    return Evidence(item, fields, decision, household, row.snapshot_id, engine.index.info.snapshot_id)


def decide_review(
    runtime: Runtime,
    engine: MatchEngine,
    number: str,
    reviewer: Actor,
    *,
    confirm_taxpayer: int | None,
    reason: str,
) -> str:
    """Record a reviewer's decision; returns the record's new internal code.

    ``confirm_taxpayer`` is the master index id the reviewer confirms, or None for
    not confirmed.  The evidence is recomputed here, so a confirmation the evidence
    does not support is refused whatever the form said.
    """
    if len(reason.strip()) < MIN_REASON:
        raise ReviewError(f"a review decision needs a written reason of at least {MIN_REASON} characters")
    evidence = gather_evidence(runtime, engine, number, reviewer)
    if confirm_taxpayer is not None and confirm_taxpayer not in evidence.confirmable_ids:
        raise ReviewError(
            f"taxpayer {confirm_taxpayer} cannot be confirmed for {number}: only someone whose address of "
            "record is the supplied delivery point and who may be the named person can be (R27)"
        )
    with runtime.database.read() as connection:
        key = screen_key(runtime.settings.path(runtime.settings.screen_key_file), connection)
    tin = (
        engine.index.tins([confirm_taxpayer]).get(confirm_taxpayer) if confirm_taxpayer is not None else None
    )
    supplied_tin = (evidence.request.get("tin") or "").strip()
    case_id = case_id_of(number)
    with runtime.ledger.transaction() as tx:
        item = queue_item(tx.connection, number, runtime.ledger.clock.now())  # still waiting, inside the tx
        row = tx.connection.execute(select(case_record, batch.c.agreement_id)
                                    .join(batch, batch.c.batch_id == case_record.c.batch_id)
                                    .where(case_record.c.case_id == case_id)).one()  # fmt: skip
        code, checks = _review_code(tx.connection, row.agreement_id, key, tin, supplied_tin)
        reason_commitment = runtime.confidential.put(tx, "review_reason", reason.strip().encode())
        seq = tx.append(
            AuditEvent(
                EventType.DECISION_MADE, reviewer, "review_decision",
                Outcome.SUCCESS if code == "CONFIRMED" else Outcome.DENIED,
                object=ObjectRef("case", number, reason_commitment),
                reason_code=code, refs=(row.validated_seq,),
                authz=Authorization(POLICY_VERSION, "R25,R27,R28,R65",
                                    "allow" if code == "CONFIRMED" else "deny"),
                details={"case": number, "batch": row.batch_id, "code": code, "response": response_code(code),
                         "supersedes": row.decided_seq, "held_as": item.code, "reviewed": True,
                         "sla_due": item.due_at, "within_sla": not item.overdue,
                         "snapshot_id": evidence.current_snapshot, "engine_version": ENGINE_VERSION,
                         "normalizer_version": NORMALIZER_VERSION, **checks},
            )
        ).seq  # fmt: skip
        tx.connection.execute(
            update(case_record)
            .where(case_record.c.case_id == case_id)
            .values(internal_code=code, stage="decided", decided_seq=seq, reviewed_seq=seq,
                    taxpayer_id=confirm_taxpayer if code == "CONFIRMED" else None,
                    tin_commitment=tin_commitment(key, tin) if tin else None)
        )  # fmt: skip
    return code


def _review_code(
    connection: Connection, agreement_id: str, key: bytes, tin: str | None, supplied_tin: str
) -> tuple[str, dict[str, str]]:
    """R5, R27, R28 and R25 for a reviewer's answer, in the engine's order (decide.final_outcome)."""
    checks = {"r25": "not_reached", "r27": "fail", "r28": "not_applicable"}
    hold = hold_in_force(connection, agreement_id)
    if hold is not None:
        return "BLOCKED_LEGAL_HOLD", checks | {"legal_hold": str(hold)}
    if tin is None:
        return "NOT_CONFIRMED", checks
    checks["r27"] = "pass"
    if supplied_tin:
        if supplied_tin != tin:
            return "NOT_CONFIRMED", checks | {"r28": "fail"}
        checks["r28"] = "pass"
    if screened(connection, key, [tin]):
        return "BLOCKED_6103I6", checks | {"r25": "BLOCKED_6103I6"}
    return "CONFIRMED", checks | {"r25": "pass"}


def decline_held(runtime: Runtime, batch_id: str, reviewer: Actor, reason: str, *, chunk: int = 500) -> int:
    """Close every record of a batch still awaiting review as not confirmed; how many were closed.

    For an office that will not work a batch's queue record by record (its size, or a
    defect found in the batch): declining never discloses, so no evidence need be
    opened, and the requester may correct and resubmit (R65).  A confirmation is only
    ever made one record at a time, from the evidence (:func:`decide_review`).  Each
    record still gets its own ``decision.made`` entry by the reviewer, with the written
    reason committed once per transaction; a legal hold in force closes them as
    BLOCKED_LEGAL_HOLD instead, as a single review would.
    """
    if len(reason.strip()) < MIN_REASON:
        raise ReviewError(f"a review decision needs a written reason of at least {MIN_REASON} characters")
    closed = 0
    while True:
        with runtime.ledger.transaction() as tx:
            items = _held(tx.connection, runtime.ledger.clock.now(), batch_id=batch_id, limit=chunk)
            if not items:
                return closed
            rows = {row.case_id: row for row in tx.connection.execute(
                select(case_record.c.case_id, case_record.c.validated_seq, case_record.c.decided_seq,
                       batch.c.agreement_id)
                .join(batch, batch.c.batch_id == case_record.c.batch_id)
                .where(case_record.c.case_id.in_([case_id_of(item.case) for item in items])))}  # fmt: skip
            agreement_id = next(iter(rows.values())).agreement_id
            # No taxpayer is confirmed, so no TIN is screened: the screen key is not needed.
            code, checks = _review_code(tx.connection, agreement_id, b"", None, "")
            reason_commitment = runtime.confidential.put(tx, "review_reason", reason.strip().encode())
            writes = []
            for item in items:
                row = rows[case_id_of(item.case)]
                seq = tx.append(
                    AuditEvent(
                        EventType.DECISION_MADE, reviewer, "review_decline", Outcome.DENIED,
                        object=ObjectRef("case", item.case, reason_commitment),
                        reason_code=code, refs=(row.validated_seq,),
                        authz=Authorization(POLICY_VERSION, "R25,R27,R28,R65", "deny"),
                        details={"case": item.case, "batch": batch_id, "code": code,
                                 "response": response_code(code), "supersedes": row.decided_seq,
                                 "held_as": item.code, "reviewed": True, "sla_due": item.due_at,
                                 "within_sla": not item.overdue, "declined_unopened": True, **checks},
                    )
                ).seq  # fmt: skip
                writes.append({"b_case_id": row.case_id, "b_seq": seq})
            tx.connection.execute(
                update(case_record)
                .where(case_record.c.case_id == bindparam("b_case_id"))
                .values(internal_code=code, stage="decided", decided_seq=bindparam("b_seq"),
                        reviewed_seq=bindparam("b_seq"), taxpayer_id=None, tin_commitment=None),
                writes,
            )  # fmt: skip
            closed += len(items)


def open_reviews(connection: Connection, batch_id: str) -> int:
    """How many records of a batch still wait for a person; a batch is released only at zero."""
    codes = connection.execute(
        select(case_record.c.internal_code).where(
            case_record.c.batch_id == batch_id, case_record.c.reviewed_seq.is_(None)
        )
    ).scalars()
    return sum(1 for code in codes if response_code(code) == "PENDING_REVIEW")
