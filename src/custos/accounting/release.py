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
import hashlib
import io
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select, update

from custos.accounting.tables import batch, case_id_of, case_number, case_record
from custos.errors import PolicyError
from custos.intake.spreadsheet import neutralize_formula
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger
from custos.policy.codes import response_code
from custos.policy.store import POLICY_VERSION, hold_in_force

LEGAL_AUTHORITY = "26 U.S.C. 6103(i)(2)"
CONFIRMATION_FIELD = "TAXPAYER_IDENTITY:address_confirmation"  # R36: the only outbound field


class ReleaseError(PolicyError):
    """A release or a results request is refused in the batch's current state."""


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


def approve_and_release(ledger: Ledger, batch_id: str, approval: Approval) -> dict[str, int]:
    """Record the approval and release the batch's responses; returns the counts approved."""
    if not (approval.role.strip() and approval.delegation.strip()):
        raise ReleaseError("an approval needs the official's role and delegation reference (R35)")
    with ledger.transaction() as tx:
        row = tx.connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one_or_none()
        if row is None:
            raise ReleaseError(f"no batch {batch_id}")
        if row.status != "awaiting_approval":
            raise ReleaseError(
                f"batch {batch_id} is {row.status}; only a batch awaiting approval can be released"
            )
        hold = hold_in_force(tx.connection, row.agreement_id)
        if hold is not None:
            raise ReleaseError(f"legal hold {hold} is in force; nothing may be released (R5)")
        counts = batch_counts(tx.connection, batch_id)
        now = format_timestamp(ledger.clock.now())
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
        for case in confirmed:
            seq = tx.append(
                AuditEvent(
                    EventType.DISCLOSURE_MADE, approval.official, "release_confirmation", Outcome.SUCCESS,
                    object=ObjectRef("case", case_number(case.case_id), case.payload_commitment),
                    refs=(case.validated_seq, case.decided_seq, approval_seq),
                    authz=Authorization(POLICY_VERSION, "R35,R43", "allow"),
                    details={"taxpayer_key": case.taxpayer_id, "field": CONFIRMATION_FIELD,
                             "legal_authority": LEGAL_AUTHORITY, "batch": batch_id,
                             "recipient_agency": row.agreement_id, "recipients": case.recipients,
                             "approving_official": approval.official.id},
                )
            ).seq  # fmt: skip
            tx.connection.execute(
                update(case_record)
                .where(case_record.c.case_id == case.case_id)
                .values(stage="released", disclosed_seq=seq)
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


def write_results(ledger: Ledger, batch_id: str, out: Path, actor: Actor) -> int:
    """Write the released batch's results file and account for the transmission; returns the row count."""
    with ledger.database.read() as connection:
        row = connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one_or_none()
        if row is None:
            raise ReleaseError(f"no batch {batch_id}")
        if row.status not in {"released", "rejected"}:
            raise ReleaseError(f"batch {batch_id} is {row.status}; results leave only after release (R35)")
        cases = connection.execute(
            select(case_record.c.case_id, case_record.c.record_id, case_record.c.internal_code)
            .where(case_record.c.batch_id == batch_id)
            .order_by(case_record.c.row_number)
        ).all()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["record_id", "case_number", "code"])
    for case in cases:
        writer.writerow([neutralize_formula(case.record_id), case_number(case.case_id),
                         response_code(case.internal_code)])  # fmt: skip
    data = buffer.getvalue().encode("utf-8")
    with ledger.transaction() as tx:
        if hold_in_force(tx.connection, row.agreement_id) is not None:
            raise ReleaseError("a legal hold is in force; nothing may be transmitted (R5)")
        tx.append(
            AuditEvent(
                EventType.RESULTS_TRANSMITTED, actor, "write_results", Outcome.SUCCESS,
                object=ObjectRef("results", batch_id, "sha256:" + hashlib.sha256(data).hexdigest()),
                authz=Authorization(POLICY_VERSION, "R40", "allow"),
                details={"records": len(cases), "bytes": len(data)},
            )
        )  # fmt: skip
        temporary = out.with_name(out.name + ".part")
        temporary.write_bytes(data)
        os.replace(temporary, out)
    return len(cases)
