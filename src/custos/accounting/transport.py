"""What a verified HTTP request brings to the ledger: the official's signature and its nonce.

The API verifies an RFC 9421 signature before anything else happens
(:mod:`custos.api.signatures`); what it verified travels here as a
:class:`SignedRequest`.  Whatever the request then does, its one request-level
ledger entry carries the signature evidence (AU-10) and the nonce is written to
``request_nonce`` in the same transaction as that entry, so a replay finds the
nonce exactly when the ledger holds the original request
(ledger-and-security.md section 2.3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from custos.accounting.tables import request_nonce
from custos.errors import StorageError
from custos.ledger.events import (
    Actor,
    ActorKind,
    AuditEvent,
    Authorization,
    Channel,
    DetailValue,
    EventType,
    ObjectRef,
    Outcome,
    RequestSignature,
)
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger, LedgerTransaction
from custos.policy.store import POLICY_VERSION

REPLAY_WINDOW_SECONDS = 300 + 5  # max_age plus the clock skew the verifier allows


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An HTTP request whose official's signature verified; not yet known to be fresh (replay)."""

    keyid: str
    agreement_id: str
    signer: str
    agency: str
    nonce: str
    created: int  # Unix seconds, as signed
    evidence: RequestSignature
    channel: Channel
    body_signed: bool = False  # the body is the written request itself (a lookup), not an envelope's file

    @property
    def actor(self) -> Actor:
        """The official who signed, with the key that proved it."""
        return Actor(ActorKind.OFFICIAL, self.signer, self.agency, self.keyid)

    def consume(self, tx: LedgerTransaction) -> None:
        """Record the nonce in the caller's transaction; a second use violates the primary key."""
        tx.connection.execute(
            insert(request_nonce).values(
                keyid=self.keyid, nonce=self.nonce, created=self.created,
                seen_at=format_timestamp(tx.ledger.clock.now()),
            )
        )  # fmt: skip


def nonce_seen(connection: Connection, keyid: str, nonce: str) -> bool:
    """Whether a request signed with this key and nonce was already accepted."""
    found = connection.execute(
        select(request_nonce.c.nonce).where(request_nonce.c.keyid == keyid, request_nonce.c.nonce == nonce)
    ).first()
    return found is not None


def purge_nonces(connection: Connection, now_unix: int) -> int:
    """Forget nonces too old to verify again anyway (older than max age plus skew)."""
    result = connection.execute(
        delete(request_nonce).where(request_nonce.c.created < now_unix - REPLAY_WINDOW_SECONDS)
    )
    return int(result.rowcount or 0)


def is_replay(error: BaseException) -> bool:
    """Whether a failed write failed on a unique key (a nonce consumed by a concurrent request)."""
    cause = error.__cause__ if isinstance(error, StorageError) else error
    return isinstance(cause, IntegrityError)


def record_replay(ledger: Ledger, request: SignedRequest, action: str) -> int:
    """The one ledger entry of a replayed request; returns its seq."""
    return ledger.append(
        AuditEvent(
            EventType.REQUEST_REPLAY_DETECTED, request.actor, action, Outcome.DENIED,
            channel=request.channel, reason_code="AUTH_REPLAY",
            authz=Authorization(POLICY_VERSION, "R3", "deny"), request_sig=request.evidence,
            client_created=format_timestamp_unix(request.created),
            details={"keyid": request.keyid[:140], "nonce": request.nonce[:128]},
        )
    ).seq  # fmt: skip


def record_access(
    ledger: Ledger,
    request: SignedRequest,
    action: str,
    target: ObjectRef,
    *,
    allowed: bool,
    details: dict[str, DetailValue] | None = None,
) -> int:
    """The one ledger entry of a read: who looked at what, and whether it was allowed (AU-2, 16.3.2)."""
    with ledger.transaction() as tx:
        request.consume(tx)
        return tx.append(
            AuditEvent(
                EventType.ACCESS_READ, request.actor, action, Outcome.SUCCESS if allowed else Outcome.DENIED,
                object=target, channel=request.channel,
                reason_code=None if allowed else "NOT_PERMITTED",
                authz=Authorization(POLICY_VERSION, "R1", "allow" if allowed else "deny"),
                request_sig=request.evidence, client_created=format_timestamp_unix(request.created),
                details=details or {},
            )
        ).seq  # fmt: skip


def format_timestamp_unix(seconds: int) -> str:
    """A signature's created time in the ledger's timestamp format."""
    return format_timestamp(dt.datetime.fromtimestamp(seconds, tz=dt.UTC))
