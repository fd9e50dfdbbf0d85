"""The audit event schema (version 1): what every ledger leaf says.

Fields follow NIST SP 800-53 AU-3 and the IRS auditing guidance for FTI
(ledger-and-security.md section 4.3): what happened (``event_type``,
``action``), when (``recorded_at``, UTC with milliseconds, and
``client_created`` from a request signature), where and from whom (``actor``,
``channel``), to what (``object``, carrying a salted commitment instead of
any confidential value), with what result (``outcome``, ``reason_code``,
``authz``) and in answer to what (``refs``, the seqs of earlier entries).

Every leaf carries every key, with null where a field does not apply, so an
auditor's script sees one shape.  ``details`` holds non-confidential scalars
only (counts, versions, identifiers), never names, addresses or TINs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1

DetailValue = str | int | bool | None


class EventType(StrEnum):
    """Loggable event types (AU-2)."""

    REQUEST_RECEIVED = "request.received"
    REQUEST_REJECTED_AUTH = "request.rejected_auth"
    REQUEST_REPLAY_DETECTED = "request.replay_detected"
    REQUEST_REJECTED = "request.rejected"
    RECORD_VALIDATED = "record.validated"
    BATCH_VALIDATED = "batch.validated"
    DECISION_MADE = "decision.made"
    DISCLOSURE_MADE = "disclosure.made"
    DISCLOSURE_DENIED = "disclosure.denied"
    APPROVAL_RECORDED = "approval.recorded"
    RESULTS_TRANSMITTED = "results.transmitted"
    REVIEW_OPENED = "review.opened"
    REVIEW_COMPLETED = "review.completed"
    POLICY_CHANGED = "policy.changed"
    KEY_REGISTERED = "key.registered"
    KEY_REVOKED = "key.revoked"
    ACCESS_READ = "access.read"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    HOLD_CHANGED = "hold.changed"
    ADMIN_ACTION = "admin.action"
    SYSTEM_START = "system.start"
    SYSTEM_STOP = "system.stop"
    AUDIT_EXPORT = "audit.export"


class ActorKind(StrEnum):
    """Who acted: a requesting official, custos itself, an auditor or an operator."""

    OFFICIAL = "official"
    SYSTEM = "system"
    AUDITOR = "auditor"
    OPERATOR = "operator"


class Outcome(StrEnum):
    """Result of the action (AU-3e)."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Actor:
    """The unique identity that acted (Pub 1075 'unique user ID')."""

    kind: ActorKind
    id: str
    agency: str | None = None
    keyid: str | None = None

    @classmethod
    def system(cls, component: str) -> Actor:
        """Custos itself, naming the component that acted."""
        return cls(ActorKind.SYSTEM, f"custos/{component}")


@dataclass(frozen=True, slots=True)
class Channel:
    """Where the action came from (AU-3c/d, Pub 1075 'origin of the request')."""

    client_cert_sha256: str | None = None
    source_ip: str | None = None
    service_instance: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """What was acted on; ``commitment`` stands in for any confidential content."""

    kind: str
    id: str
    commitment: str | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    """The authorization decision and the rule that made it (ASVS 16.3.2, L3)."""

    policy_version: str
    rule_id: str
    decision: str


@dataclass(frozen=True, slots=True)
class RequestSignature:
    """An official's RFC 9421 signature, kept so auditors re-verify it offline (AU-10)."""

    signature_input: str
    signature: str
    content_digest: str
    alg: str
    signature_base: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One accountable act, before the ledger gives it a seq and a time."""

    event_type: EventType
    actor: Actor
    action: str
    outcome: Outcome
    object: ObjectRef | None = None
    channel: Channel | None = None
    reason_code: str | None = None
    authz: Authorization | None = None
    request_sig: RequestSignature | None = None
    refs: tuple[int, ...] = ()
    client_created: str | None = None
    details: Mapping[str, DetailValue] = field(default_factory=dict)

    def to_entry(self, seq: int, recorded_at: str, prev_leaf_hash: str | None) -> dict[str, Any]:
        """Return the leaf object for this event at ``seq``; every key is always present."""
        if any(ref >= seq or ref < 0 for ref in self.refs):
            raise ValueError(f"refs {list(self.refs)} must name earlier entries than seq {seq}")
        return {
            "v": SCHEMA_VERSION,
            "seq": seq,
            "recorded_at": recorded_at,
            "prev_leaf_hash": prev_leaf_hash,
            "event_type": str(self.event_type),
            "actor": _plain(self.actor),
            "channel": _plain(self.channel or Channel()),
            "object": _plain(self.object),
            "action": self.action,
            "outcome": str(self.outcome),
            "reason_code": self.reason_code,
            "authz": _plain(self.authz),
            "request_sig": _plain(self.request_sig),
            "refs": sorted(set(self.refs)),
            "client_created": self.client_created,
            "details": dict(self.details),
        }


def _plain(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    slots: tuple[str, ...] = getattr(value, "__slots__", ())
    return {name: _scalar(getattr(value, name)) for name in slots}


def _scalar(value: object) -> Any:
    return str(value) if isinstance(value, StrEnum) else value
