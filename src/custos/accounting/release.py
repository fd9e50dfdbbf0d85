"""Approval, release and the results file: nothing leaves before a delegated official approves.

R35: each batch release is approved by a delegated official whose identity, role,
delegation reference and time are recorded, and the approval shows the counts by
result code.  R5: no release while a legal hold stands.  R43: every confirmation
released is one ``disclosure.made`` event naming the case, the internal taxpayer
key, the field disclosed (a confirmation code), the recipient agency and officers,
the legal authority, the approving official and the versions that decided it.
The results file (interchange.md section 3) carries ``record_id, case_number, code``
and nothing else (R33); its digest and record count go to the ledger (R40).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, bindparam, select, update

from custos.accounting.review import open_reviews
from custos.accounting.safeguards import safeguards_problem
from custos.accounting.tables import batch, case_id_of, case_number, case_record, screen_flag
from custos.accounting.transmissions import Sent, record_transmission
from custos.accounting.transport import SignedRequest
from custos.errors import PolicyError
from custos.intake.spreadsheet import neutralize_formula
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger, LedgerTransaction
from custos.policy.agreement import Endpoint
from custos.policy.codes import response_code
from custos.policy.store import POLICY_VERSION, get_agreement, hold_in_force

LEGAL_AUTHORITY = "26 U.S.C. 6103(i)(2)"
CONFIRMATION_FIELD = "TAXPAYER_IDENTITY:address_confirmation"  # R36: the only outbound field


class ReleaseError(PolicyError):
    """A release or a results request is refused in the batch's current state."""


class DeliveryRefused(ReleaseError):
    """Results were not delivered (a legal hold, out-of-date safeguards); the refusal is in the ledger."""

    def __init__(self, message: str, code: str | None, seq: int) -> None:
        super().__init__(message)
        self.code = code or "BLOCKED"
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Approval:
    """Who approves a release, in what role, under which delegation (R35)."""

    official: Actor
    role: str
    delegation: str


def batch_counts(connection: Connection, batch_id: str) -> dict[str, int]:
    """Counts by response code."""
    codes = connection.execute(select(case_record.c.internal_code).where(case_record.c.batch_id == batch_id))
    return dict(sorted(Counter(response_code(code) for code in codes.scalars()).items()))


def _screen_again(tx: LedgerTransaction, batch_id: str) -> None:
    """R25 at the moment of release: a taxpayer listed since the decision is blocked, not disclosed."""
    listed = select(screen_flag.c.tin_commitment)
    hits = tx.connection.execute(
        select(case_record).where(
            case_record.c.batch_id == batch_id,
            case_record.c.internal_code == "CONFIRMED",
            case_record.c.tin_commitment.in_(listed),
        )
    ).all()
    for case in hits:
        seq = tx.append(
            AuditEvent(
                EventType.DECISION_MADE, Actor.system("release"), "decide_record", Outcome.DENIED,
                object=ObjectRef("case", case_number(case.case_id)), reason_code="BLOCKED_6103I6",
                refs=(case.validated_seq,), authz=Authorization(POLICY_VERSION, "R25", "deny"),
                details={"case": case_number(case.case_id), "batch": batch_id, "code": "BLOCKED_6103I6",
                         "response": "BLOCKED", "r25": "BLOCKED_6103I6", "r27": "pass", "rechecked": True},
            )
        ).seq  # fmt: skip
        tx.connection.execute(
            update(case_record)
            .where(case_record.c.case_id == case.case_id)
            .values(internal_code="BLOCKED_6103I6", decided_seq=seq, taxpayer_id=None)
        )


def _bulk_notice(
    tx: LedgerTransaction,
    batch_id: str,
    approval: Approval,
    counts: dict[str, int],
    *,
    until: str,
    records: int,
) -> None:
    """R7: a release above the threshold is approved, announced, and held until the notice period ends."""
    tx.append(
        AuditEvent(
            EventType.APPROVAL_RECORDED, approval.official, "approve_bulk_release", Outcome.SUCCESS,
            object=ObjectRef("batch", batch_id),
            authz=Authorization(POLICY_VERSION, "R7,R35", "allow"),
            details={"role": approval.role, "delegation": approval.delegation, "records": records,
                     "notice_until": until, **{f"count_{code.lower()}": n for code, n in counts.items()}},
        )
    )  # fmt: skip
    tx.connection.execute(
        update(batch)
        .where(batch.c.batch_id == batch_id)
        .values(status="bulk_notice", notice_until=until, approved_by=approval.official.id,
                approved_role=approval.role, delegation_ref=approval.delegation)
    )  # fmt: skip


def approve_and_release(ledger: Ledger, batch_id: str, approval: Approval) -> dict[str, int]:
    """Record the approval and release the batch's responses; returns the counts approved.

    Above the agreement's bulk-notice threshold the first approval only starts the notice
    period (R7); a second official releases once it has passed.
    """
    if not (approval.role.strip() and approval.delegation.strip()):
        raise ReleaseError("an approval needs the official's role and delegation reference (R35)")
    try:
        return _approve_and_release(ledger, batch_id, approval)
    except _HoldRefusal as refusal:  # the attempt itself is accounted for (R5), outside the rolled-back work
        ledger.append(
            AuditEvent(
                EventType.APPROVAL_RECORDED, approval.official, "approve_release", Outcome.DENIED,
                object=ObjectRef("batch", batch_id), reason_code="BLOCKED_LEGAL_HOLD",
                authz=Authorization(POLICY_VERSION, "R5", "deny"), details={"legal_hold": refusal.hold},
            )
        )  # fmt: skip
        raise ReleaseError(f"legal hold {refusal.hold} is in force; nothing may be released (R5)") from None


class _HoldRefusal(Exception):
    def __init__(self, hold: int) -> None:
        super().__init__(hold)
        self.hold = hold


def _approve_and_release(ledger: Ledger, batch_id: str, approval: Approval) -> dict[str, int]:
    with ledger.transaction() as tx:
        row = tx.connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one_or_none()
        if row is None:
            raise ReleaseError(f"no batch {batch_id}")
        if row.status not in {"awaiting_approval", "bulk_notice"}:
            raise ReleaseError(
                f"batch {batch_id} is {row.status}; only a batch awaiting approval can be released"
            )
        hold = hold_in_force(tx.connection, row.agreement_id)
        if hold is not None:
            raise _HoldRefusal(hold)
        waiting = open_reviews(tx.connection, batch_id)
        if waiting:
            raise ReleaseError(
                f"batch {batch_id} has {waiting} record(s) awaiting additional verification; "
                "a person decides each before the batch is released (R65)"
            )
        _screen_again(tx, batch_id)
        counts = batch_counts(tx.connection, batch_id)
        now = format_timestamp(ledger.clock.now())
        spec = get_agreement(tx.connection, row.agreement_id, row.agreement_version).spec
        limits = spec.limits
        if row.status == "bulk_notice":
            if now < row.notice_until:
                raise ReleaseError(f"batch {batch_id} is held for bulk notice until {row.notice_until} (R7)")
            if approval.official.id == row.approved_by:
                raise ReleaseError(
                    f"a second official, not {row.approved_by}, must release a bulk batch (R7)"
                )
        elif row.record_count > limits.bulk_notice_threshold:
            until = format_timestamp(ledger.clock.now() + dt.timedelta(hours=limits.bulk_notice_hours))
            _bulk_notice(tx, batch_id, approval, counts, until=until, records=row.record_count)
            return counts
        approval_seq = tx.append(
            AuditEvent(
                EventType.APPROVAL_RECORDED, approval.official, "approve_release", Outcome.SUCCESS,
                object=ObjectRef("batch", batch_id),
                authz=Authorization(POLICY_VERSION, "R35", "allow"),
                details={"role": approval.role, "delegation": approval.delegation,
                         **{f"count_{code.lower()}": n for code, n in counts.items()}},
            )
        ).seq  # fmt: skip
        confirmed = tx.connection.execute(
            select(case_record).where(
                case_record.c.batch_id == batch_id, case_record.c.internal_code == "CONFIRMED"
            )
        ).all()
        disclosed = []
        for case in confirmed:
            seq = tx.append(
                AuditEvent(
                    EventType.DISCLOSURE_MADE, approval.official, "release_confirmation", Outcome.SUCCESS,
                    object=ObjectRef("case", case_number(case.case_id), case.payload_commitment),
                    refs=(case.validated_seq, case.decided_seq, approval_seq),
                    authz=Authorization(POLICY_VERSION, "R35,R43", "allow"),
                    details={"taxpayer_key": case.taxpayer_id, "field": CONFIRMATION_FIELD,
                             "legal_authority": LEGAL_AUTHORITY, "batch": batch_id,
                             "recipient_agency": spec.parties.requester_code, "agreement": row.agreement_id,
                             "recipients": case.recipients,
                             "approving_official": approval.official.id},
                )
            ).seq  # fmt: skip
            disclosed.append({"b_case_id": case.case_id, "b_seq": seq})
        if disclosed:  # one executemany, pipelined on PostgreSQL, not a round trip per disclosure
            tx.connection.execute(
                update(case_record)
                .where(case_record.c.case_id == bindparam("b_case_id"))
                .values(stage="released", disclosed_seq=bindparam("b_seq")),
                disclosed,
            )
        tx.connection.execute(
            update(batch)
            .where(batch.c.batch_id == batch_id)
            .values(status="released", approved_by=approval.official.id, approved_role=approval.role,
                    delegation_ref=approval.delegation, approved_at=now, released_at=now)
        )  # fmt: skip
    return counts


def batch_status(ledger: Ledger, batch_id: str) -> dict[str, object]:
    """The batch's state and counts by response code (no confidential value)."""
    with ledger.database.read() as connection:
        row = connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one_or_none()
        if row is None:
            raise ReleaseError(f"no batch {batch_id}")
        return {
            "batch_id": batch_id, "status": row.status,
            "agreement": f"{row.agreement_id}@{row.agreement_version}", "signer": row.signer,
            "received_at": row.received_at, "records": row.record_count, "rejection_code": row.rejection_code,
            "approved_by": row.approved_by, "released_at": row.released_at, "snapshot_id": row.snapshot_id,
            "counts": batch_counts(connection, batch_id),
        }  # fmt: skip


def case_status(ledger: Ledger, number: str) -> dict[str, object]:
    """A case's response code and stage, as the requester may see it (R64)."""
    case_id = case_id_of(number)
    with ledger.database.read() as connection:
        row = None
        if case_id is not None:
            row = connection.execute(
                select(case_record, batch.c.status.label("batch_status"))
                .join(batch, batch.c.batch_id == case_record.c.batch_id)
                .where(case_record.c.case_id == case_id)
            ).one_or_none()
    if row is None:
        raise ReleaseError(f"no case {number}")
    released = row.batch_status == "released"
    return {
        "case_number": number, "batch_id": row.batch_id, "record_id": row.record_id,
        "code": response_code(row.internal_code) if released else "PENDING_RELEASE",
    }  # fmt: skip


RESULT_COLUMNS = ("record_id", "case_number", "code")


def render_results(rows: list[tuple[str, str, str]], fmt: str) -> bytes:
    """The results file (interchange.md section 3): ``record_id, case_number, code`` and nothing else."""
    if fmt == "jsonl":
        lines = (json.dumps(dict(zip(RESULT_COLUMNS, row, strict=True)), ensure_ascii=False) for row in rows)
        return "".join(line + "\n" for line in lines).encode("utf-8")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(RESULT_COLUMNS)
    for record_id, number, code in rows:
        writer.writerow([neutralize_formula(record_id), number, code])
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A results file the ledger has accounted for, ready to hand to its registered endpoint."""

    data: bytes
    digest: str
    endpoint: Endpoint
    seq: int


def deliver_results(
    ledger: Ledger,
    batch_id: str,
    actor: Actor,
    *,
    delivery: str,
    endpoint: str | None = None,
    fmt: str = "csv",
    transport: SignedRequest | None = None,
) -> Delivery:
    """Render a released batch's results and record their transmission (R37-R40), or refuse.

    Refused (and the refusal recorded) while a legal hold stands or the recipient's safeguards are
    not current; only endpoints the agreement registers for this kind of ``delivery`` receive results,
    never a workstation.  Over the API, ``transport`` is the recipient system's signed request: its
    signature goes into the same ledger entry and its nonce is consumed in the same transaction.
    """
    with ledger.database.read() as connection:
        row = connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one_or_none()
        if row is None:
            raise ReleaseError(f"no batch {batch_id}")
        if row.status not in {"released", "rejected"}:
            raise ReleaseError(f"batch {batch_id} is {row.status}; results leave only after release (R35)")
        spec = get_agreement(connection, row.agreement_id, row.agreement_version).spec
        cases = connection.execute(
            select(case_record.c.case_id, case_record.c.record_id, case_record.c.internal_code)
            .where(case_record.c.batch_id == batch_id)
            .order_by(case_record.c.row_number)
        ).all()
    target = _endpoint(tuple(e for e in spec.endpoints if e.delivery == delivery), endpoint)
    rows = [(case.record_id, case_number(case.case_id), response_code(case.internal_code)) for case in cases]
    data = render_results(rows, fmt)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    agency = spec.parties.requester_code
    with ledger.transaction() as tx:
        if transport is not None:
            transport.consume(tx)
        hold = hold_in_force(tx.connection, row.agreement_id)
        problem = f"legal hold {hold} is in force (R5)" if hold is not None else None
        problem = problem or safeguards_problem(tx.connection, agency, ledger.clock.now().date())
        details: dict[str, str | int | bool | None] = {
            "records": len(cases), "bytes": len(data), "endpoint": target.id, "recipient_agency": agency,
            "point_of_contact": target.point_of_contact, "sender": actor.id, "format": fmt,
        }  # fmt: skip
        seq = tx.append(
            AuditEvent(
                EventType.RESULTS_TRANSMITTED, transport.actor if transport else actor, "deliver_results",
                Outcome.DENIED if problem else Outcome.SUCCESS,
                object=ObjectRef("results", batch_id, digest),
                channel=transport.channel if transport else None,
                reason_code=_blocked_code(hold, problem),
                authz=Authorization(POLICY_VERSION, "R37-R40", "deny" if problem else "allow"),
                request_sig=transport.evidence if transport else None,
                details=details,
            )
        ).seq  # fmt: skip
        if not problem:
            sent = Sent(batch_id, target.id, agency, digest, len(cases), seq)
            record_transmission(tx, sent, spec.limits.acknowledgement_hours)
    if problem:
        code = _blocked_code(hold, problem)
        raise DeliveryRefused(f"results of {batch_id} not delivered: {problem}", code, seq)
    return Delivery(data, digest, target, seq)


def write_results(
    ledger: Ledger, batch_id: str, actor: Actor, *, root: Path, endpoint: str | None = None
) -> Path:
    """Deliver a released batch's results file to a registered file endpoint and account for it (R37-R40).

    A relative endpoint location is taken relative to ``root``, the installation's data directory.
    """
    delivered = deliver_results(ledger, batch_id, actor, delivery="file", endpoint=endpoint)
    folder = root / delivered.endpoint.location
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{batch_id}-results.csv"
    temporary = out.with_name(out.name + ".part")
    temporary.write_bytes(delivered.data)
    os.replace(temporary, out)
    return out


def _blocked_code(hold: int | None, problem: str | None) -> str | None:
    if hold is not None:
        return "BLOCKED_LEGAL_HOLD"
    return "BLOCKED_SAFEGUARDS" if problem else None


def _endpoint(endpoints: tuple[Endpoint, ...], wanted: str | None) -> Endpoint:
    if wanted is None and len(endpoints) == 1:
        return endpoints[0]
    found = next((e for e in endpoints if e.id == wanted), None)
    if found is None:
        known = ", ".join(e.id for e in endpoints) or "none"
        raise ReleaseError(
            f"results go only to an endpoint the agreement registers (R38); registered: {known}"
        )
    return found
