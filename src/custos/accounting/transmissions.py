"""Transmissions and the recipient's signed acknowledgement of receipt (R39, R41).

Every delivered results file is a transmission with a deadline for the
recipient's acknowledgement, which names where the file is stored (R39: a
recipient system, never a workstation).  The acknowledgement arrives as a
request signed by one of the agreement's officials (RFC 9421 over the API), so it
is as accountable as the request.  An acknowledgement not received by its
deadline raises an incident, once, in the ledger (R41).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from custos.accounting.tables import transmission
from custos.accounting.transport import SignedRequest
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger, LedgerTransaction
from custos.policy.store import POLICY_VERSION

MAX_LOCATION = 200


@dataclass(frozen=True, slots=True)
class Sent:
    """What the ledger's manifest entry says was sent."""

    batch_id: str
    endpoint: str
    agency: str
    digest: str
    records: int
    seq: int


def record_transmission(tx: LedgerTransaction, sent: Sent, ack_hours: int) -> int:
    """Open the transmission's acknowledgement clock; returns its id."""
    now = tx.ledger.clock.now()
    return int(
        tx.connection.execute(
            insert(transmission)
            .values(batch_id=sent.batch_id, endpoint=sent.endpoint, agency_code=sent.agency,
                    digest=sent.digest, records=sent.records, sent_at=format_timestamp(now),
                    sent_seq=sent.seq, ack_due_at=format_timestamp(now + dt.timedelta(hours=ack_hours)))
            .returning(transmission.c.transmission_id)
        ).scalar_one()
    )  # fmt: skip


def acknowledge(
    ledger: Ledger, transmission_id: int, signed: SignedRequest, *, digest: str, storage_location: str
) -> int:
    """Record the recipient's signed acknowledgement; returns its ledger seq.

    The acknowledgement must name the digest of the file it acknowledges (so it is
    about these bytes) and the storage location on the recipient's system.
    """
    location = storage_location.strip()
    if not location or len(location) > MAX_LOCATION:
        raise PolicyError(f"storage_location: 1 to {MAX_LOCATION} characters naming the recipient system")
    with ledger.transaction() as tx:
        row = tx.connection.execute(
            select(transmission).where(transmission.c.transmission_id == transmission_id)
        ).one_or_none()
        if row is None:
            raise PolicyError(f"no transmission {transmission_id}")
        if row.acknowledged_at is not None:
            raise PolicyError(f"transmission {transmission_id} is already acknowledged")
        if digest != row.digest:
            raise PolicyError(f"digest: transmission {transmission_id} sent {row.digest}, not {digest}")
        signed.consume(tx)
        seq = tx.append(
            AuditEvent(
                EventType.RESULTS_TRANSMITTED, signed.actor, "acknowledge_receipt", Outcome.SUCCESS,
                object=ObjectRef("transmission", str(transmission_id), row.digest),
                refs=(row.sent_seq,), channel=signed.channel, request_sig=signed.evidence,
                authz=Authorization(POLICY_VERSION, "R39,R41", "allow"),
                details={"batch": row.batch_id, "storage_location": location,
                         "late": format_timestamp(ledger.clock.now()) > row.ack_due_at},
            )
        ).seq  # fmt: skip
        tx.connection.execute(
            update(transmission)
            .where(transmission.c.transmission_id == transmission_id)
            .values(acknowledged_at=format_timestamp(ledger.clock.now()), acknowledged_by=signed.keyid,
                    storage_location=location, ack_seq=seq)
        )  # fmt: skip
    return seq


def raise_overdue(ledger: Ledger, actor: Actor) -> list[int]:
    """An incident for each transmission past its deadline without acknowledgement (once each)."""
    raised = []
    with ledger.transaction() as tx:
        now = format_timestamp(ledger.clock.now())
        rows = tx.connection.execute(
            select(transmission).where(
                transmission.c.acknowledged_at.is_(None),
                transmission.c.incident_seq.is_(None),
                transmission.c.ack_due_at < now,
            )
        ).all()
        for row in rows:
            seq = tx.append(
                AuditEvent(
                    EventType.ADMIN_ACTION, actor, "incident.unacknowledged_transmission", Outcome.FAILURE,
                    object=ObjectRef("transmission", str(row.transmission_id), row.digest),
                    refs=(row.sent_seq,), reason_code="ACK_OVERDUE",
                    authz=Authorization(POLICY_VERSION, "R41", "allow"),
                    details={"batch": row.batch_id, "recipient_agency": row.agency_code,
                             "ack_due_at": row.ack_due_at},
                )
            ).seq  # fmt: skip
            tx.connection.execute(
                update(transmission)
                .where(transmission.c.transmission_id == row.transmission_id)
                .values(incident_seq=seq)
            )
            raised.append(int(row.transmission_id))
    return raised


def transmissions(connection: Connection) -> list[dict[str, object]]:
    """Every transmission, newest first, as plain values for pages and reports."""
    rows = connection.execute(select(transmission).order_by(transmission.c.transmission_id.desc())).all()
    return [dict(row._mapping) for row in rows]
