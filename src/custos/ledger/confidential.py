"""The confidential store: payloads the ledger commits to but never contains.

A leaf may not hold taxpayer data, yet an auditor entitled to it must be
able to prove which data an entry was about.  So the leaf carries
``commitment = SHA-256("ledger-commit-v1\\n" || salt || payload)`` with a
random 32-byte salt (an unsalted hash of a TIN or a name could be brute-forced),
and the salt and payload live here, outside the ledger tables and outside
every export.

Opening a payload is an inspection (R47): it is recorded as an
``access.read`` entry that commits before the payload is handed over.  At the
end of retention the salt and payload are deleted (crypto-shredding): the
ledger still verifies, and the commitment can no longer be opened.  Deletion
before the retention date is refused (R50).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Column, LargeBinary, String, Table, insert, select, update

from custos.errors import PayloadUnavailableError, RetentionError
from custos.ledger.events import Actor, AuditEvent, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger, LedgerTransaction
from custos.storage.schema import metadata

COMMITMENT_DOMAIN = b"ledger-commit-v1\n"
SALT_SIZE = 32

confidential_payload = Table(
    "confidential_payload",
    metadata,
    Column("commitment", String(64), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("salt", LargeBinary, nullable=True),
    Column("payload", LargeBinary, nullable=True),
    Column("created_at", String(24), nullable=False),
    Column("retain_until", String(24), nullable=False),
    Column("shredded_at", String(24), nullable=True),
)


def commitment_of(salt: bytes, payload: bytes) -> str:
    """The hex commitment a leaf carries for ``payload``."""
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + payload).hexdigest()


@dataclass(frozen=True, slots=True)
class Opening:
    """A payload with the salt that opens its commitment, for an entitled auditor."""

    commitment: str
    salt: bytes
    payload: bytes

    def matches(self) -> bool:
        """Whether salt and payload reproduce the commitment."""
        return hmac.compare_digest(commitment_of(self.salt, self.payload), self.commitment)


class ConfidentialStore:
    """Keeps payloads and salts; hands them out only with an ``access.read`` entry."""

    def __init__(self, ledger: Ledger, retention: timedelta) -> None:
        self.ledger = ledger
        self.retention = retention

    def put(self, tx: LedgerTransaction, kind: str, payload: bytes) -> str:
        """Store ``payload`` in the caller's transaction; return its commitment."""
        return self.put_many(tx, kind, [payload])[0]

    def put_many(self, tx: LedgerTransaction, kind: str, payloads: list[bytes]) -> list[str]:
        """Store several payloads in one statement of the caller's transaction; their commitments in order.

        A batch stores one payload per record: one round trip per chunk, not per record, on a server.
        """
        now = self.ledger.clock.now()
        created, retain_until = format_timestamp(now), format_timestamp(now + self.retention)
        rows = []
        for payload in payloads:
            salt = secrets.token_bytes(SALT_SIZE)
            commitment = commitment_of(salt, payload)
            rows.append({"commitment": commitment, "kind": kind, "salt": salt, "payload": payload,
                         "created_at": created, "retain_until": retain_until})  # fmt: skip
        if rows:
            tx.connection.execute(insert(confidential_payload), rows)
        return [str(row["commitment"]) for row in rows]

    def open(self, commitment: str, actor: Actor, reason: str) -> Opening:
        """Return the payload after the inspection is durably in the ledger."""
        with self.ledger.transaction() as tx:
            row = tx.connection.execute(
                select(confidential_payload).where(confidential_payload.c.commitment == commitment)
            ).one_or_none()
            available = row is not None and row.payload is not None and row.salt is not None
            tx.append(
                AuditEvent(
                    EventType.ACCESS_READ,
                    actor,
                    "open_payload",
                    Outcome.SUCCESS if available else Outcome.FAILURE,
                    object=ObjectRef(row.kind if row else "unknown", commitment[:16], commitment),
                    reason_code=None if available else ("SHREDDED" if row else "NOT_FOUND"),
                    details={"stated_reason": reason[:200]},
                )
            )
        if row is None or not available:
            state = "was shredded" if row is not None else "does not exist"
            raise PayloadUnavailableError(f"payload for commitment {commitment[:16]}... {state}")
        return Opening(commitment, bytes(row.salt), bytes(row.payload))

    def shred(self, commitment: str, actor: Actor) -> None:
        """Delete one payload and its salt; refused before its retention date."""
        with self.ledger.transaction() as tx:
            row = tx.connection.execute(
                select(confidential_payload).where(confidential_payload.c.commitment == commitment)
            ).one_or_none()
            if row is None:
                raise PayloadUnavailableError(f"no payload for commitment {commitment[:16]}...")
            now = format_timestamp(self.ledger.clock.now())
            if now < row.retain_until:
                raise RetentionError(
                    f"payload {commitment[:16]}... is retained until {row.retain_until}; "
                    "it may not be shredded earlier"
                )
            self._shred_rows(tx, [commitment], actor, now)

    def shred_expired(self, actor: Actor) -> int:
        """Shred every payload whose retention has ended; return how many."""
        with self.ledger.transaction() as tx:
            now = format_timestamp(self.ledger.clock.now())
            expired = list(
                tx.connection.execute(
                    select(confidential_payload.c.commitment).where(
                        confidential_payload.c.retain_until <= now,
                        confidential_payload.c.shredded_at.is_(None),
                    )
                ).scalars()
            )
            if expired:
                self._shred_rows(tx, expired, actor, now)
            return len(expired)

    @staticmethod
    def _shred_rows(tx: LedgerTransaction, commitments: list[str], actor: Actor, now: str) -> None:
        tx.connection.execute(
            update(confidential_payload)
            .where(confidential_payload.c.commitment.in_(commitments))
            .values(salt=None, payload=None, shredded_at=now)
        )
        tx.append(
            AuditEvent(
                EventType.ADMIN_ACTION,
                actor,
                "shred_payloads",
                Outcome.SUCCESS,
                details={"count": len(commitments)},
            )
        )
