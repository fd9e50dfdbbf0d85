"""Reading and authenticating one API request; every refusal is one ledger entry.

Order matters.  The body is read first (to a spool file for batch uploads) with
its SHA-256, because the signature covers its digest; then the signature is
verified; then the key's rate limit; then replay.  A request refused at any of
these steps writes exactly one ledger entry (``request.rejected_auth``,
``request.replay_detected`` or ``request.rejected``) and touches nothing else.
A request that passes goes on with a :class:`SignedRequest` whose nonce the
business transaction consumes together with its own ledger entry.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

from fastapi import Request

from custos.accounting.transport import SignedRequest, nonce_seen, record_replay
from custos.api.signatures import AuthFailure, IncomingRequest, KeyRegistry, RegisteredKey, verify_request
from custos.errors import Error
from custos.ledger.events import (
    Actor,
    ActorKind,
    AuditEvent,
    Authorization,
    Channel,
    EventType,
    Outcome,
    RequestSignature,
)
from custos.ledger.service import Ledger
from custos.policy.agreement import public_key
from custos.policy.keys import KeyUnusable, active_key
from custos.policy.store import POLICY_VERSION
from custos.storage.database import Database

_PRESENTED_LIMIT = 1024  # how much of an unverified header the ledger keeps


class ApiError(Error):
    """A refused request: HTTP status, code, message and the ledger entry that records it."""

    def __init__(self, status: int, code: str, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.seq = seq


class DatabaseKeyRegistry(KeyRegistry):
    """Keys from the officials' registry, read on every request so a revocation acts at once."""

    def __init__(self, database: Database, ledger: Ledger) -> None:
        self.database = database
        self.ledger = ledger

    def resolve(self, keyid: str) -> RegisteredKey:
        """The active key for ``keyid`` or :class:`AuthFailure` naming why not."""
        try:
            with self.database.read() as connection:
                found = active_key(connection, keyid, self.ledger.clock.now().date())
        except KeyUnusable as exc:
            raise AuthFailure(exc.code, str(exc), keyid) from exc
        signer = found.signer
        return RegisteredKey(
            keyid, found.agreement_id, signer.id, signer.agency, public_key(signer.public_key)
        )


@dataclass
class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, refilled continuously (per server process)."""

    per_minute: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def allow(self, keyid: str) -> bool:
        """Take one token for ``keyid``; False when its bucket is empty."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(keyid, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60.0)
            allowed = tokens >= 1.0
            self._buckets[keyid] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


@dataclass(frozen=True, slots=True)
class ReceivedBody:
    """A request body as received: in memory, or spooled to a file for a batch upload."""

    sha256: bytes
    size: int
    data: bytes = b""
    path: Path | None = None

    def discard(self) -> None:
        """Remove the spool file, if any."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def read_body(
    request: Request, *, limit: int, spool_dir: Path | None = None, suffix: str = ""
) -> ReceivedBody:
    """Read the whole body, hashing as it comes; refuse more than ``limit`` bytes."""
    digest = hashlib.sha256()
    size = 0
    chunks: list[bytes] = []
    path = None
    handle = None
    if spool_dir is not None:
        spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = spool_dir / f"upload-{secrets.token_hex(12)}{suffix}"
        handle = path.open("xb")
        os.chmod(path, 0o600)
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "REQUEST_TOO_LARGE", f"the body exceeds {limit} bytes")
            digest.update(chunk)
            if handle is not None:
                handle.write(chunk)
            else:
                chunks.append(chunk)
    except BaseException:
        if handle is not None:
            handle.close()
            path.unlink(missing_ok=True)  # type: ignore[union-attr]
        raise
    if handle is not None:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
    return ReceivedBody(digest.digest(), size, b"".join(chunks), path)


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the server knows of a request before trusting anything in it."""

    method: str
    target_uri: str
    path: str
    headers: tuple[tuple[str, str], ...]
    channel: Channel


def request_facts(
    request: Request, *, public_url: str, trusted_proxies: tuple[str, ...], cert_header: str, instance: str
) -> RequestFacts:
    """Method, rebuilt target URI, headers and channel; a client-cert header counts only from a proxy."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target = (
        public_url.rstrip("/") + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    )
    peer = request.client.host if request.client else None
    from_proxy = peer is not None and peer in trusted_proxies
    headers = []
    certificate = None
    for name_bytes, value_bytes in scope["headers"]:
        name, value = name_bytes.decode("latin-1").lower(), value_bytes.decode("latin-1")
        if name == cert_header.lower():
            if from_proxy:
                certificate = value.strip()[:128]
            continue  # stripped: only the trusted proxy speaks for the TLS channel
        headers.append((name, value))
    channel = Channel(client_cert_sha256=certificate, source_ip=peer, service_instance=instance)
    return RequestFacts(request.method, target, scope["path"][:200], tuple(headers), channel)


def _presented(facts: RequestFacts) -> RequestSignature:
    def header(name: str) -> str:
        return ", ".join(v for k, v in facts.headers if k == name)[:_PRESENTED_LIMIT]

    return RequestSignature(
        header("signature-input"), header("signature"), header("content-digest")[:200], ""
    )


def record_refusal(
    ledger: Ledger,
    facts: RequestFacts,
    event_type: EventType,
    code: str,
    message: str,
    *,
    actor: Actor | None = None,
    evidence: RequestSignature | None = None,
    signed: SignedRequest | None = None,
) -> int:
    """The one ledger entry of a request refused before it did anything."""
    with ledger.transaction() as tx:
        if signed is not None:
            signed.consume(tx)
        return tx.append(
            AuditEvent(
                event_type,
                actor or Actor(ActorKind.OFFICIAL, "unauthenticated"),
                f"{facts.method} {facts.path}",
                Outcome.DENIED,
                channel=facts.channel,
                reason_code=code,
                authz=Authorization(POLICY_VERSION, "R1,R3", "deny"),
                request_sig=evidence or _presented(facts),
                details={"detail": message[:200]},
            )
        ).seq


def authenticate(
    ledger: Ledger, registry: KeyRegistry, limiter: RateLimiter, facts: RequestFacts, body: ReceivedBody
) -> SignedRequest:
    """Verify signature, rate and freshness; refuse with :class:`ApiError` after recording why."""
    incoming = IncomingRequest(facts.method, facts.target_uri, facts.headers, body.sha256, body.size > 0)
    try:
        verified = verify_request(incoming, registry, ledger.clock.now())
    except AuthFailure as failure:
        claimed = Actor(ActorKind.OFFICIAL, "unauthenticated", None, failure.keyid)
        seq = record_refusal(
            ledger, facts, EventType.REQUEST_REJECTED_AUTH, failure.code, str(failure), actor=claimed
        )
        raise ApiError(401, failure.code, str(failure), seq) from failure
    key = verified.key
    signed = SignedRequest(
        key.keyid,
        key.agreement_id,
        key.signer,
        key.agency,
        verified.nonce,
        verified.created,
        verified.evidence,
        facts.channel,
    )
    with ledger.database.read() as connection:
        replayed = nonce_seen(connection, key.keyid, verified.nonce)
    if replayed:
        seq = record_replay(ledger, signed, f"{facts.method} {facts.path}")
        raise ApiError(401, "AUTH_REPLAY", "this request's nonce was already used", seq)
    if not limiter.allow(key.keyid):
        seq = record_refusal(
            ledger,
            facts,
            EventType.REQUEST_REJECTED,
            "RATE_LIMITED",
            f"more than {limiter.per_minute} requests a minute",
            actor=signed.actor,
            evidence=signed.evidence,
            signed=signed,
        )
        raise ApiError(
            429, "RATE_LIMITED", f"more than {limiter.per_minute} requests a minute from this key", seq
        )
    return signed
