"""The audit event schema (AU-3, Pub 1075): every event type yields a complete, verifiable leaf."""

from __future__ import annotations

import re

import pytest

from custos.ledger import verifier
from custos.ledger.canonical import encode_leaf
from custos.ledger.events import (
    Actor,
    ActorKind,
    AuditEvent,
    Authorization,
    Channel,
    EventType,
    ObjectRef,
    Outcome,
    RequestSignature,
)
from custos.runtime import Runtime

AU3_FIELDS = {
    "v", "seq", "recorded_at", "prev_leaf_hash", "event_type", "actor", "channel", "object",
    "action", "outcome", "reason_code", "authz", "request_sig", "refs", "client_created", "details",
}  # fmt: skip


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_has_the_au3_fields(runtime: Runtime, event_type: EventType) -> None:
    """Each event type is stored with type, time, identity, origin, object and outcome."""
    receipt = runtime.ledger.append(
        AuditEvent(
            event_type,
            Actor(ActorKind.OFFICIAL, "official-7", agency="AGENCY", keyid="key-7"),
            "act",
            Outcome.DENIED,
            object=ObjectRef("case", "C-1", "ab" * 32),
            channel=Channel("cd" * 32, "192.0.2.10", "api-1"),
            reason_code="R10",
            authz=Authorization("policy-3", "R10", "deny"),
            request_sig=RequestSignature("sig1=()", "sig1=:AA==:", "sha-256=:AA==:", "ed25519"),
            refs=(0,),
            client_created="2026-11-24T08:59:59.000Z",
        )
    )
    entry = verifier.parse_leaf(runtime.ledger.leaf(receipt.seq))
    assert set(entry) == AU3_FIELDS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["recorded_at"])
    assert entry["event_type"] == event_type.value
    assert entry["actor"] == {"kind": "official", "id": "official-7", "agency": "AGENCY", "keyid": "key-7"}
    assert entry["channel"]["source_ip"] == "192.0.2.10"
    assert entry["outcome"] == "denied" and entry["refs"] == [0]


def test_log_injection_stays_on_one_line_and_verifies(runtime: Runtime) -> None:
    """Newlines, U+2028, quotes and ANSI escapes in any field round-trip on one line."""
    hostile = 'x\n"y"\u2028z\x1b[31mred\x1b[0m\r\\'
    receipt = runtime.ledger.append(
        AuditEvent(
            EventType.AUTH_LOGIN,
            Actor(ActorKind.OPERATOR, hostile),
            hostile,
            Outcome.FAILURE,
            reason_code=hostile,
            details={"note": hostile},
        )
    )
    leaf = runtime.ledger.leaf(receipt.seq)
    assert b"\n" not in leaf and b"\x1b" not in leaf
    assert verifier.parse_leaf(leaf)["actor"]["id"] == hostile
    assert runtime.ledger.audit().ok


def test_details_refuse_floats() -> None:
    """A float in details is refused before it reaches the ledger."""
    event = AuditEvent(
        EventType.ADMIN_ACTION, Actor.system("t"), "x", Outcome.SUCCESS, details={"score": 0.5}
    )
    with pytest.raises(Exception, match="float"):
        encode_leaf(event.to_entry(1, "2026-11-24T09:00:00.000Z", None))
