"""Commitments instead of payloads; inspections accounted for; crypto-shredding at retention end."""

from __future__ import annotations

from pathlib import Path

import pytest

from custos.errors import PayloadUnavailableError, RetentionError
from custos.ledger import verifier
from custos.ledger.confidential import commitment_of
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, ObjectRef, Outcome
from custos.ledger.export import export_bundle
from custos.runtime import Runtime
from custos.testing import FixedClock

SENTINEL = b"SENTINEL-TIN-987654321 SENTINEL NAME 1 SENTINEL ROAD"
REVIEWER = Actor(ActorKind.OPERATOR, "reviewer-1")


def record(runtime: Runtime, payload: bytes = SENTINEL) -> str:
    with runtime.ledger.transaction() as tx:
        commitment = runtime.confidential.put(tx, "request_record", payload)
        tx.append(
            AuditEvent(
                EventType.REQUEST_RECEIVED,
                Actor(ActorKind.OFFICIAL, "official-1"),
                "submit",
                Outcome.SUCCESS,
                object=ObjectRef("record", "R-1", commitment),
            )
        )
    return commitment


def bundle_of(runtime: Runtime, tmp_path: Path) -> verifier.Report:
    export_bundle(runtime.ledger, tmp_path / "bundle", Actor(ActorKind.AUDITOR, "a"))
    keys = verifier.parse_keys((tmp_path / "bundle" / "trusted-keys.txt").read_text())
    return verifier.verify_bundle(tmp_path / "bundle", keys)


class TestCommitments:
    def test_payload_never_reaches_the_ledger_or_the_bundle(self, runtime: Runtime, tmp_path: Path) -> None:
        """The sentinel payload appears in no leaf and nowhere in an exported bundle."""
        commitment = record(runtime)
        assert bundle_of(runtime, tmp_path).ok
        for path in (tmp_path / "bundle").rglob("*"):
            if path.is_file():
                assert b"SENTINEL" not in path.read_bytes(), path
        assert commitment.encode() in (tmp_path / "bundle" / "entries.jsonl").read_bytes()

    def test_opening_checks_the_commitment_and_is_an_inspection(self, runtime: Runtime) -> None:
        """An entitled opening matches the commitment and leaves an access.read entry first."""
        commitment = record(runtime)
        before = runtime.ledger.head().size
        opening = runtime.confidential.open(commitment, REVIEWER, "review of case C-1")
        assert opening.payload == SENTINEL and opening.matches()
        entry = verifier.parse_leaf(runtime.ledger.leaf(before))
        assert entry["event_type"] == "access.read"
        assert entry["actor"]["id"] == "reviewer-1" and entry["object"]["commitment"] == commitment

    def test_commitments_are_salted(self, runtime: Runtime) -> None:
        """The same payload twice gives two different commitments (no brute-forcing a TIN)."""
        assert record(runtime) != record(runtime)
        assert commitment_of(b"\x00" * 32, b"x") != commitment_of(b"\x01" * 32, b"x")


class TestShredding:
    def test_shredding_before_retention_is_refused(self, runtime: Runtime) -> None:
        """A payload inside its retention period cannot be deleted."""
        commitment = record(runtime)
        with pytest.raises(RetentionError, match="retained until"):
            runtime.confidential.shred(commitment, REVIEWER)
        assert runtime.confidential.shred_expired(REVIEWER) == 0

    def test_after_retention_the_ledger_verifies_and_cannot_be_opened(
        self, runtime: Runtime, clock: FixedClock, tmp_path: Path
    ) -> None:
        """Shredded at retention end: the bundle still verifies, the commitment no longer opens."""
        commitment = record(runtime)
        clock.advance(days=runtime.settings.payload_retention_days + 1)
        assert runtime.confidential.shred_expired(REVIEWER) == 1
        assert bundle_of(runtime, tmp_path).ok
        with pytest.raises(PayloadUnavailableError, match="shredded"):
            runtime.confidential.open(commitment, REVIEWER, "late request")
        denied = verifier.parse_leaf(runtime.ledger.leaf(runtime.ledger.head().size - 1))
        assert denied["event_type"] == "access.read" and denied["outcome"] == "failure"
