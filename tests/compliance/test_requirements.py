"""The testable requirements of legal-requirements.md section 7 that custos implements, one test (or class) each.

Every test drives the demo installation the way a requester and the custodian's
officials do (signed batches, agreement versions, holds, approvals) and asserts
on the codes the requester sees and on what the ledger holds.  Configurable
thresholds are tested at the limit and one past it.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import json
import tomllib
from dataclasses import replace
from itertools import cycle
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.unit.accounting.harness import OPERATOR, Harness, fresh, valid_rows
from typer.testing import CliRunner

import custos.accounting.pipeline as pipeline_module
from custos.accounting.admission import SubmissionRejected
from custos.accounting.release import (
    Approval,
    ReleaseError,
    approve_and_release,
    batch_status,
    case_status,
)
from custos.accounting.screen import add_to_screen, screen_key
from custos.accounting.tables import batch, case_number
from custos.cli import app
from custos.demo_setup import COMPONENT, DEMO_AGREEMENT, HEAD
from custos.errors import PolicyError
from custos.intake.envelope import (
    Envelope,
    EnvelopeError,
    generate_private_key,
    public_key_pem,
    read_envelope,
    write_private_key,
)
from custos.ledger.events import Actor, ActorKind
from custos.policy.agreement import AgreementFileError, AgreementSpec, parse_agreement
from custos.policy.codes import REJECTIONS, response_code
from custos.policy.store import (
    AgreementStateError,
    CourtOrder,
    activate_agreement,
    approve_agreement,
    get_agreement,
    load_agreement_version,
    release_hold,
    set_hold,
)
from custos.testing import FixedClock

APPROVAL = Approval(OPERATOR, "Disclosure Manager", "DO 11-2 (compliance)")
APPROVERS = (Actor(ActorKind.OPERATOR, "agreement-counsel"), Actor(ActorKind.OPERATOR, "privacy-officer"))
JUDGE_CLERK = Actor(ActorKind.OPERATOR, "hold-clerk")
RELEASERS = (Actor(ActorKind.OPERATOR, "hold-approver-1"), Actor(ActorKind.OPERATOR, "hold-approver-2"))
ORDER = CourtOrder("D.D.C.", "No. 1:25-cv-00457", dt.date(2025, 11, 21))
ADDRESS = ("address_line1", "address_line2", "city", "state", "zip")
RESPONSES = {"CONFIRMED", "NOT_CONFIRMED", "PENDING_REVIEW", "BLOCKED"}


# --- helpers ------------------------------------------------------------------------------------------


def variants(demo: Harness, tag: str, changes: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """One valid record per entry, named ``{tag}-{key}``, with that entry's fields changed."""
    source = cycle(demo.confirmable(18))
    return [
        fresh(next(source), tag, number) | change | {"record_id": f"{tag}-{key}"}
        for number, (key, change) in enumerate(changes.items(), start=1)
    ]


def today(demo: Harness) -> dt.date:
    return demo.ledger.clock.now().date()


def by_record(demo: Harness, batch_id: str, event_type: str) -> dict[str, dict[str, Any]]:
    """record_id -> the batch's ledger event of this type about that record's case."""
    numbers = {case_number(row.case_id): record_id for record_id, row in demo.cases(batch_id).items()}
    return {
        numbers[e["details"]["case"]]: e
        for e in demo.entries()
        if e["event_type"] == event_type and e["details"].get("case") in numbers
    }


def validated(demo: Harness, batch_id: str) -> dict[str, dict[str, Any]]:
    """record_id -> the details of its record.validated event (r10, r11, ... per rule)."""
    return {rid: e["details"] for rid, e in by_record(demo, batch_id, "record.validated").items()}


def batches(demo: Harness) -> int:
    with demo.runtime.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(batch)).scalar_one())


def refused(demo: Harness, path: Path, envelope: Envelope) -> str:
    """Submit and expect a whole-submission refusal: one ledger event, no batch; returns the code."""
    size, count = demo.ledger.head().size, batches(demo)
    with pytest.raises(SubmissionRejected) as caught:
        demo.pipeline.submit(path, envelope)
    assert demo.ledger.head().size == size + 1
    assert batches(demo) == count
    last = demo.entries()[-1]
    assert last["event_type"] in {"request.rejected", "request.replay_detected"}
    assert last["reason_code"] == caught.value.code
    assert last["outcome"] == "denied"
    return caught.value.code


def agreement_values(demo: Harness, version: int) -> dict[str, Any]:
    """The demo agreement's file as values, renumbered: the start of a new version."""
    values = tomllib.loads((demo.directory / "demo" / "agreement.toml").read_text(encoding="utf-8"))
    values["version"] = version
    return values


def load_draft(demo: Harness, values: dict[str, Any]) -> AgreementSpec:
    spec = parse_agreement(values)
    with demo.ledger.transaction() as tx:
        load_agreement_version(tx, spec, OPERATOR)
    return spec


def activate(demo: Harness, values: dict[str, Any]) -> AgreementSpec:
    """Load, approve by two people and activate a version (it supersedes the active one)."""
    spec = load_draft(demo, values)
    with demo.ledger.transaction() as tx:
        for approver in APPROVERS:
            approve_agreement(tx, spec.id, spec.version, approver)
        activate_agreement(tx, spec.id, spec.version, OPERATOR)
    return spec


def stored_spec(demo: Harness, version: int = 1) -> AgreementSpec:
    with demo.runtime.database.read() as connection:
        return get_agreement(connection, DEMO_AGREEMENT, version).spec


def hold(demo: Harness, scope: str = "global") -> int:
    with demo.ledger.transaction() as tx:
        return set_hold(tx, scope, ORDER, JUDGE_CLERK)


def key_file(tmp_path: Path, name: str, kind: str = "ed25519") -> Path:
    path = tmp_path / f"{name}.pem"
    write_private_key(path, generate_private_key(kind))
    return path


# --- A. Requester, agreement and envelope ---------------------------------------------------------------


def test_r01_only_permitted_signers_are_accepted(demo: Harness, tmp_path: Path) -> None:
    """R1: a request signed by anyone the agreement does not name is REJ_REQUESTER_NOT_AUTHORIZED."""
    path = demo.write(valid_rows(demo, 2, "R01"))
    rogue = key_file(tmp_path, "rogue")
    assert refused(demo, path, demo.sign(path, signer="ice-field-office", key=rogue)) == (
        "REJ_REQUESTER_NOT_AUTHORIZED"
    )
    assert response_code("REJ_REQUESTER_NOT_AUTHORIZED") == "REJECTED_REQUESTER_NOT_AUTHORIZED"
    # The permitted agency head's signature over the same file is accepted.
    summary = demo.pipeline.submit(path, demo.sign(path, signer=HEAD))
    assert summary.by_code == {"CONFIRMED": 2}


def test_r02_component_head_without_counsel_review_is_held(demo: Harness) -> None:
    """R2: a component head's request is held HOLD_LEGAL_REVIEW unless counsel's legal review is recorded."""
    reviewed = demo.submit(valid_rows(demo, 2, "R02A"), signer=COMPONENT)  # the demo's director: reviewed
    assert set(demo.codes(reviewed.batch_id).values()) == {"CONFIRMED"}

    values = agreement_values(demo, 2)
    director = next(s for s in values["signers"] if s["id"] == COMPONENT)
    assert director["agency_head"] is False
    del director["legal_review"]
    activate(demo, values)

    rows = valid_rows(demo, 3, "R02B")
    held = demo.submit(rows, signer=COMPONENT, agreement_version=2)
    assert set(demo.codes(held.batch_id).values()) == {"HOLD_LEGAL_REVIEW"}
    assert held.by_code == {"PENDING_REVIEW": 3}
    received = [e for e in demo.entries() if e["event_type"] == "request.received"][-1]
    assert received["details"]["legal_review_hold"] is True
    decisions = by_record(demo, held.batch_id, "decision.made")
    assert all(decisions[r["record_id"]]["details"]["engine_reason"] is None for r in rows)  # never matched

    head = demo.submit(valid_rows(demo, 2, "R02C"), signer=HEAD, agreement_version=2)
    assert set(demo.codes(head.batch_id).values()) == {"CONFIRMED"}


class TestR03SignedRequest:
    """R3: only a verifiable signature of the authorized official over the whole envelope admits a batch."""

    def test_r03_unsigned_envelope_is_refused(self, demo: Harness) -> None:
        """An envelope without a signature is REJ_UNSIGNED."""
        path = demo.write(valid_rows(demo, 1, "R03"))
        assert refused(demo, path, replace(demo.sign(path), signature="")) == "REJ_UNSIGNED"

    def test_r03_missing_envelope_file_is_unsigned(self, tmp_path: Path) -> None:
        """A batch delivered without its envelope file is unsigned."""
        with pytest.raises(EnvelopeError) as caught:
            read_envelope(tmp_path / "batch.csv.envelope.json")
        assert caught.value.code == "REJ_UNSIGNED"

    @pytest.mark.parametrize(
        "signature", [base64.b64encode(bytes(64)).decode(), "not base64!"], ids=["forged", "garbled"]
    )
    def test_r03_bad_signature_is_refused(self, demo: Harness, signature: str) -> None:
        """A garbled or forged signature is REJ_UNSIGNED."""
        path = demo.write(valid_rows(demo, 1, "R03"))
        assert refused(demo, path, replace(demo.sign(path), signature=signature)) == "REJ_UNSIGNED"

    @pytest.mark.parametrize("kind", ["ed25519", "p256"])
    def test_r03_signature_by_another_key_is_refused(self, demo: Harness, tmp_path: Path, kind: str) -> None:
        """An envelope naming the Secretary but signed with another key is REJ_UNSIGNED."""
        path = demo.write(valid_rows(demo, 1, "R03"))
        envelope = demo.sign(path, signer=HEAD, key=key_file(tmp_path, "impostor", kind))
        assert refused(demo, path, envelope) == "REJ_UNSIGNED"

    def test_r03_changed_envelope_field_is_refused(self, demo: Harness) -> None:
        """Changing any signed field of the envelope after signing is REJ_UNSIGNED."""
        path = demo.write(valid_rows(demo, 1, "R03"))
        assert refused(demo, path, replace(demo.sign(path), record_count=1000)) == "REJ_UNSIGNED"

    def test_r03_tampered_file_is_refused(self, demo: Harness) -> None:
        """A batch file changed after signing is REJ_BATCH_DIGEST_MISMATCH."""
        path = demo.write(valid_rows(demo, 2, "R03"))
        envelope = demo.sign(path)
        path.write_text(path.read_text(encoding="utf-8").replace("R03-0002", "R03-9999"), encoding="utf-8")
        assert refused(demo, path, envelope) == "REJ_BATCH_DIGEST_MISMATCH"

    def test_r03_envelope_age_limit(self, demo: Harness) -> None:
        """An envelope within envelope_max_age_hours (72) is accepted; older is stale; from the future is refused."""
        max_age = dt.timedelta(hours=stored_spec(demo).limits.envelope_max_age_hours)
        assert max_age == dt.timedelta(hours=72)
        now = demo.ledger.clock.now()
        path = demo.write(valid_rows(demo, 1, "R03"))
        stale = demo.sign(path, created=now - max_age - dt.timedelta(minutes=1))
        assert refused(demo, path, stale) == "REJ_ENVELOPE_STALE"
        future = demo.sign(path, created=now + dt.timedelta(minutes=10))
        assert refused(demo, path, future) == "REJ_ENVELOPE_FROM_FUTURE"
        within = demo.sign(path, created=now - max_age + dt.timedelta(minutes=1))
        assert demo.pipeline.submit(path, within).status == "awaiting_approval"

    def test_r03_signer_and_signing_time_are_logged(self, demo: Harness) -> None:
        """The accepted request's ledger event names the signer and holds the signing time and signature."""
        path = demo.write(valid_rows(demo, 1, "R03"))
        envelope = demo.sign(path, signer=COMPONENT)
        demo.pipeline.submit(path, envelope)
        received = [e for e in demo.entries() if e["event_type"] == "request.received"][-1]
        assert received["actor"]["id"] == COMPONENT
        assert received["details"]["envelope_created"] == envelope.created
        assert received["details"]["envelope_signature"] == envelope.signature
        assert received["details"]["envelope_alg"] == "ecdsa-p256-sha256"


class TestR04ActiveAgreement:
    """R4: a request is judged only under an active agreement version, in its term and reviewed."""

    def test_r04_unknown_agreement_or_version_is_refused(self, demo: Harness) -> None:
        """An agreement id or version that was never loaded is REJ_AGREEMENT_INACTIVE."""
        path = demo.write(valid_rows(demo, 1, "R04"))
        assert refused(demo, path, demo.sign(path, agreement_version=9)) == "REJ_AGREEMENT_INACTIVE"
        assert (
            refused(demo, path, demo.sign(path, agreement_id="NO-SUCH-AGREEMENT")) == "REJ_AGREEMENT_INACTIVE"
        )

    def test_r04_draft_and_superseded_versions_are_refused(self, demo: Harness) -> None:
        """A loaded but not activated version, and a version superseded by a newer one, are REJ_AGREEMENT_INACTIVE."""
        path = demo.write(valid_rows(demo, 1, "R04"))
        values = agreement_values(demo, 2)
        load_draft(demo, values)
        assert refused(demo, path, demo.sign(path, agreement_version=2)) == "REJ_AGREEMENT_INACTIVE"
        with demo.ledger.transaction() as tx:
            for approver in APPROVERS:
                approve_agreement(tx, DEMO_AGREEMENT, 2, approver)
            activate_agreement(tx, DEMO_AGREEMENT, 2, OPERATOR)
        assert refused(demo, path, demo.sign(path, agreement_version=1)) == "REJ_AGREEMENT_INACTIVE"
        assert demo.pipeline.submit(path, demo.sign(path, agreement_version=2)).status == "awaiting_approval"

    def test_r04_overdue_review_or_outside_term_is_refused(
        self, demo: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On its review_by date the agreement still admits; a day later (R62), or outside its term, it is REJ_AGREEMENT_INACTIVE."""
        term = stored_spec(demo).term
        assert term is not None
        path = demo.write(valid_rows(demo, 1, "R04"))

        def at(day: dt.date) -> Envelope:
            clock = FixedClock(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))
            monkeypatch.setattr(demo.ledger, "clock", clock)
            return demo.sign(path, created=clock.now())

        assert refused(demo, path, at(term.review_by + dt.timedelta(days=1))) == "REJ_AGREEMENT_INACTIVE"
        assert refused(demo, path, at(term.end + dt.timedelta(days=1))) == "REJ_AGREEMENT_INACTIVE"
        assert refused(demo, path, at(term.start - dt.timedelta(days=1))) == "REJ_AGREEMENT_INACTIVE"
        assert demo.pipeline.submit(path, at(term.review_by)).status == "awaiting_approval"


class TestR05LegalHold:
    """R5: a legal hold blocks every record and every release while it stands."""

    @pytest.mark.parametrize("scope", ["global", DEMO_AGREEMENT])
    def test_r05_hold_blocks_every_record_and_the_release(self, demo: Harness, scope: str) -> None:
        """With a global or per-agreement hold set, every record is BLOCKED_LEGAL_HOLD and release is refused."""
        hold_id = hold(demo, scope)
        rows = valid_rows(demo, 3, "R05") + [fresh(demo.confirmable(1)[0], "R05", 9, address_line1="")]
        summary = demo.submit(rows)
        assert set(demo.codes(summary.batch_id).values()) == {"BLOCKED_LEGAL_HOLD"}
        assert summary.by_code == {"BLOCKED": 4}
        assert {d["legal_hold"] for d in validated(demo, summary.batch_id).values()} == {hold_id}
        with pytest.raises(ReleaseError, match="legal hold"):
            approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        assert not [e for e in demo.entries() if e["event_type"] == "disclosure.made"]
        attempts = [e for e in demo.entries() if e["event_type"] == "approval.recorded"]
        assert [(e["outcome"], e["reason_code"]) for e in attempts] == [("denied", "BLOCKED_LEGAL_HOLD")]

    def test_r05_hold_set_between_validation_and_matching(
        self, demo: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Records validated before the hold are blocked when decided after it."""
        match = demo.pipeline._match

        def hold_then_match(state: Any) -> None:
            hold(demo)  # its own transaction, between _validate/_batch_rules and _match
            match(state)

        monkeypatch.setattr(demo.pipeline, "_match", hold_then_match)
        summary = demo.submit(valid_rows(demo, 3, "R05"))
        assert {d["code"] for d in validated(demo, summary.batch_id).values()} == {"VALID"}
        assert set(demo.codes(summary.batch_id).values()) == {"BLOCKED_LEGAL_HOLD"}
        decisions = by_record(demo, summary.batch_id, "decision.made")
        assert {d["details"]["response"] for d in decisions.values()} == {"BLOCKED"}

    def test_r05_toggling_the_switch_mid_batch_stops_all_later_records(
        self, demo: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A hold set while a batch is being decided: every record decided after it is BLOCKED_LEGAL_HOLD."""
        monkeypatch.setattr(pipeline_module, "CHUNK", 2)  # decide the batch in pages of two records
        record = demo.pipeline._record_decisions
        pages = []

        def decide_then_hold(*args: Any, **kwargs: Any) -> None:
            record(*args, **kwargs)
            pages.append(1)
            if len(pages) == 1:
                hold(demo)

        monkeypatch.setattr(demo.pipeline, "_record_decisions", decide_then_hold)
        summary = demo.submit(valid_rows(demo, 6, "R05"))
        assert len(pages) == 3
        entries = demo.entries()
        hold_seq = next(e["seq"] for e in entries if e["action"] == "hold.set")
        decisions = [e for e in entries if e["event_type"] == "decision.made"]
        before = [e["reason_code"] for e in decisions if e["seq"] < hold_seq]
        after = [e["reason_code"] for e in decisions if e["seq"] > hold_seq]
        assert before == ["CONFIRMED"] * 2
        assert after == ["BLOCKED_LEGAL_HOLD"] * 4
        with pytest.raises(ReleaseError, match="legal hold"):
            approve_and_release(demo.ledger, summary.batch_id, APPROVAL)


class TestR06CourtOrderRegister:
    """R6: a hold names its order; releasing it takes two different approvers and is logged."""

    def test_r06_release_needs_two_different_approvers(self, demo: Harness) -> None:
        """One person cannot release a hold; two can, and requests are processed again."""
        hold_id = hold(demo)
        with demo.ledger.transaction() as tx, pytest.raises(PolicyError, match="two different approvers"):
            release_hold(tx, hold_id, (RELEASERS[0], RELEASERS[0]))
        still = demo.submit(valid_rows(demo, 1, "R06A"))
        assert set(demo.codes(still.batch_id).values()) == {"BLOCKED_LEGAL_HOLD"}

        with demo.ledger.transaction() as tx:
            release_hold(tx, hold_id, RELEASERS)
        with demo.ledger.transaction() as tx, pytest.raises(PolicyError, match="already released"):
            release_hold(tx, hold_id, RELEASERS)
        after = demo.submit(valid_rows(demo, 1, "R06B"))
        assert set(demo.codes(after.batch_id).values()) == {"CONFIRMED"}

        events = [e for e in demo.entries() if e["event_type"] == "hold.changed"]
        assert [e["action"] for e in events] == ["hold.set", "hold.release"]
        set_event, release_event = events
        assert set_event["details"] == {"scope": "global", "court": ORDER.court, "docket": ORDER.docket,
                                        "order_date": ORDER.order_date.isoformat()}  # fmt: skip
        assert set_event["actor"]["id"] == JUDGE_CLERK.id
        assert release_event["object"]["id"] == set_event["object"]["id"] == str(hold_id)
        assert release_event["actor"]["id"] == RELEASERS[0].id
        assert release_event["details"]["second_approver"] == RELEASERS[1].id

    def test_r06_a_hold_must_name_its_order(self, demo: Harness) -> None:
        """A hold without the court or docket of its order is refused."""
        with demo.ledger.transaction() as tx, pytest.raises(PolicyError, match="court and the docket"):
            set_hold(tx, "global", CourtOrder("D.D.C.", " ", dt.date(2025, 11, 21)), JUDGE_CLERK)


def test_r08_batch_size_limit(demo: Harness) -> None:
    """R8: a batch of max_batch_records is accepted; one more record and the file is rejected whole (REJ_BATCH_TOO_LARGE)."""
    assert stored_spec(demo).limits.max_batch_records == 100_000  # the anchor of R8
    values = agreement_values(demo, 2)
    values["limits"]["max_batch_records"] = 3
    activate(demo, values)
    at_limit = demo.submit(valid_rows(demo, 3, "R08A"), agreement_version=2)
    assert at_limit.by_code == {"CONFIRMED": 3}
    path = demo.write(valid_rows(demo, 4, "R08B"))
    assert refused(demo, path, demo.sign(path, agreement_version=2)) == "REJ_BATCH_TOO_LARGE"


def test_r09_whole_batch_rejected_above_the_defect_share(demo: Harness) -> None:
    """R9: 1 defective record in 20 (5%) is accepted; 1 in 19 (5.3%) rejects the whole batch, nothing confirmed."""
    assert stored_spec(demo).limits.batch_defect_share == 0.05
    defect = {"address_line1": "Unknown Address"}
    at_share = valid_rows(demo, 19, "R09A") + [fresh(demo.confirmable(1)[0], "R09A", 99, **defect)]
    accepted = demo.submit(at_share)
    assert accepted.status == "awaiting_approval"
    assert accepted.by_code == {"CONFIRMED": 19, "REJECTED_ADDRESS_PLACEHOLDER": 1}

    above = valid_rows(demo, 18, "R09B") + [fresh(demo.confirmable(1)[0], "R09B", 99, **defect)]
    rejected = demo.submit(above)
    assert rejected.status == "rejected"
    assert rejected.rejection_code == "REJ_BATCH_DEFECTIVE"
    assert rejected.by_code == {"REJECTED_BATCH_DEFECTIVE": 18, "REJECTED_ADDRESS_PLACEHOLDER": 1}
    decisions = by_record(demo, rejected.batch_id, "decision.made")
    assert all(d["details"]["engine_reason"] is None for d in decisions.values())  # nothing was matched
    with pytest.raises(ReleaseError, match="rejected"):
        approve_and_release(demo.ledger, rejected.batch_id, APPROVAL)
    batch_event = [e for e in demo.entries() if e["event_type"] == "batch.validated"][-1]
    assert batch_event["reason_code"] == "REJ_BATCH_DEFECTIVE"


# --- B. Per-record statutory validation --------------------------------------------------------------


def test_r10_record_without_an_address_is_rejected(demo: Harness) -> None:
    """R10: null, empty or whitespace address fields are REJ_ADDR_MISSING, even with a name and TIN."""
    person = demo.confirmable(1)[0]
    tin = demo.truth[person["record_id"]]["true_tin"]
    rows = variants(demo, "R10", {
        "empty": dict.fromkeys(ADDRESS, ""),
        "spaces": dict.fromkeys(ADDRESS, "  \t "),
        "with-tin": dict.fromkeys(ADDRESS, "") | {"tin": tin},
    })  # fmt: skip
    summary = demo.submit(rows)
    assert set(demo.codes(summary.batch_id).values()) == {"REJ_ADDR_MISSING"}
    assert {d["r10"] for d in validated(demo, summary.batch_id).values()} == {"REJ_ADDR_MISSING"}
    assert summary.by_code == {"REJECTED_ADDRESS_MISSING": 3}


def test_r11_zip_or_digits_only_address_is_rejected(demo: Harness) -> None:
    """R11: '12345', '00000', '12345-6789', "Don't Care 12345", other digits and a ZIP alone are REJ_ADDR_ZIP_ONLY."""
    lines = ["12345", "00000", "12345-6789", "Don't Care 12345", "123456789", "4", "Unknown 12345"]
    changes = {f"line{n}": {"address_line1": line} for n, line in enumerate(lines)}
    changes["line-alone"] = {"address_line1": "12345", "city": "", "state": "", "zip": ""}
    changes["zip-field-only"] = {"address_line1": "", "address_line2": "", "city": "", "state": ""}
    summary = demo.submit(variants(demo, "R11", changes))
    assert set(demo.codes(summary.batch_id).values()) == {"REJ_ADDR_ZIP_ONLY"}
    assert summary.by_code == {"REJECTED_ADDRESS_ZIP_ONLY": len(changes)}


def test_r12_placeholder_address_is_rejected(demo: Harness) -> None:
    """R12: the deny-list (UNKNOWN, UNKNOWN ADDRESS, FAILED TO PROVIDE, N/A, NONE, TBD, DON'T CARE, NO ADDRESS) in any case is REJ_ADDR_PLACEHOLDER."""
    texts = ["UNKNOWN", "Unknown Address", "FAILED TO PROVIDE", "failed to provide", "N/A", "n/a", "NONE",
             "TBD", "DON'T CARE", "Don't care", "NO ADDRESS"]  # fmt: skip
    changes = {f"line{n}": {"address_line1": text} for n, text in enumerate(texts)}
    changes["city"] = {"city": "Unknown"}
    changes["zip"] = {"zip": "00000"}
    summary = demo.submit(variants(demo, "R12", changes))
    assert set(demo.codes(summary.batch_id).values()) == {"REJ_ADDR_PLACEHOLDER"}
    assert {d["r12"] for d in validated(demo, summary.batch_id).values()} == {"REJ_ADDR_PLACEHOLDER"}


def test_r13_structurally_incomplete_address_is_rejected(demo: Harness) -> None:
    """R13: without a street line, city, state or a ZIP that fits, the address is REJ_ADDR_INCOMPLETE; PO box and rural route are complete."""
    person = demo.confirmable(1)[0]
    changes = {
        "no-street": {"address_line1": ""},
        "no-number": {"address_line1": person["address_line1"].split(" ", 1)[1]},
        "no-city": {"city": ""},
        "no-state": {"state": ""},
        "bad-state": {"state": "ZZ"},
        "no-zip": {"zip": ""},
        "bad-zip": {"zip": "ABCDE"},
        "zip-of-another-state": {"state": "AK" if person["state"] != "AK" else "TX"},
    }
    complete = {"po-box": {"address_line1": "PO BOX 123"}, "rural-route": {"address_line1": "RR 2 BOX 15"}}
    summary = demo.submit(variants(demo, "R13", changes) + variants(demo, "R13OK", complete))
    codes = demo.codes(summary.batch_id)
    assert {codes[f"R13-{key}"] for key in changes} == {"REJ_ADDR_INCOMPLETE"}
    checks = validated(demo, summary.batch_id)
    for key in complete:
        assert [checks[f"R13OK-{key}"][r] for r in ("r10", "r11", "r12", "r13")] == ["pass"] * 4


def test_r14_versioned_normalizer_matches_written_variants(demo: Harness) -> None:
    """R14: addresses written differently (suffixes, directionals, units, case) match after normalization, and each decision records the normalizer version."""
    rows = demo.rows_of("format_variant", 10)
    summary = demo.submit(rows)
    assert set(demo.codes(summary.batch_id).values()) == {"CONFIRMED"}
    versions = {
        d["details"]["normalizer_version"]
        for d in by_record(demo, summary.batch_id, "decision.made").values()
    }
    assert len(versions) == 1
    assert next(iter(versions)).startswith("std-")


def test_r15_full_name_is_required(demo: Harness) -> None:
    """R15: a record without a given name or surname is REJ_NAME_MISSING."""
    changes = {
        "no-given": {"given_name": ""},
        "no-surname": {"surname": " "},
        "punctuation": {"given_name": "-"},
        "fnu": {"given_name": "FNU"},
        "unknown": {"surname": "Unknown"},
    }
    summary = demo.submit(variants(demo, "R15", changes))
    assert set(demo.codes(summary.batch_id).values()) == {"REJ_NAME_MISSING"}
    assert summary.by_code == {"REJECTED_NAME_MISSING": 5}


def test_r16_taxable_periods_within_the_window(demo: Harness) -> None:
    """R16: tax years at both ends of the agreement's window pass; one year outside either end, or no year, is rejected."""
    window = stored_spec(demo).tax_years
    changes = {
        "earliest": {"taxable_periods": str(window.earliest)},
        "latest": {"taxable_periods": f"{window.latest - 1}, {window.latest}"},
        "before": {"taxable_periods": str(window.earliest - 1)},
        "after": {"taxable_periods": f"{window.latest},{window.latest + 1}"},
        "not-a-year": {"taxable_periods": f"FY{window.latest}"},
        "semicolons": {"taxable_periods": f"{window.latest - 1};{window.latest}"},
        "missing": {"taxable_periods": ""},
    }
    summary = demo.submit(variants(demo, "R16", changes))
    checks = validated(demo, summary.batch_id)
    assert {key: checks[f"R16-{key}"]["r16"] for key in changes} == {
        "earliest": "pass", "latest": "pass", "before": "REJ_PERIOD_INVALID", "after": "REJ_PERIOD_INVALID",
        "not-a-year": "REJ_PERIOD_INVALID", "semicolons": "REJ_PERIOD_INVALID", "missing": "REJ_PERIOD_MISSING",
    }  # fmt: skip


def test_r17_statute_from_the_allow_list(demo: Harness) -> None:
    """R17: the permitted statute however written passes; any other statute or none is REJ_STATUTE_NOT_PERMITTED."""
    changes = {
        "canonical": {"statute": "8 U.S.C. 1253(a)(1)"},
        "section-sign": {"statute": "8 USC § 1253(a)(1)"},
        "other": {"statute": "8 U.S.C. 1326"},
        "broader": {"statute": "8 U.S.C. 1253(a)"},
        "missing": {"statute": ""},
    }
    summary = demo.submit(variants(demo, "R17", changes))
    checks = validated(demo, summary.batch_id)
    assert {key: checks[f"R17-{key}"]["r17"] for key in changes} == {
        "canonical": "pass", "section-sign": "pass", "other": "REJ_STATUTE_NOT_PERMITTED",
        "broader": "REJ_STATUTE_NOT_PERMITTED", "missing": "REJ_STATUTE_NOT_PERMITTED",
    }  # fmt: skip


class TestR18SpecificReason:
    """R18: each record states its own reason; boilerplate repeated past the limit goes to a person."""

    def test_r18_empty_reason_is_rejected(self, demo: Harness) -> None:
        """An empty or punctuation-only reason is REJ_REASON_MISSING."""
        summary = demo.submit(variants(demo, "R18", {"empty": {"reason": ""}, "dash": {"reason": " - "}}))
        assert set(demo.codes(summary.batch_id).values()) == {"REJ_REASON_MISSING"}

    def test_r18_reason_repeat_limit_boundary(self, demo: Harness) -> None:
        """With reason_repeat_limit 3: one reason in 3 records passes, in 4 records (after normalization) holds all 4."""
        assert stored_spec(demo).limits.reason_repeat_limit == 50  # the default; F8 tests it at 50 and 51
        values = agreement_values(demo, 2)
        values["limits"]["reason_repeat_limit"] = 3
        activate(demo, values)
        boiler = "Subject of a final order of removal."
        at_limit = demo.submit(valid_rows(demo, 3, "R18A", reason=boiler), agreement_version=2)
        assert set(demo.codes(at_limit.batch_id).values()) == {"CONFIRMED"}
        spellings = [boiler, boiler.upper(), f"  {boiler.lower()} ", boiler.replace(" ", "  ")]
        over = [
            row | {"reason": text} for row, text in zip(valid_rows(demo, 4, "R18B"), spellings, strict=True)
        ]
        held = demo.submit(over, agreement_version=2)
        assert set(demo.codes(held.batch_id).values()) == {"HOLD_NONSPECIFIC_REASON"}
        assert held.by_code == {"PENDING_REVIEW": 4}


def test_r19_specific_investigation_reference(demo: Harness) -> None:
    """R19: no investigation, or one that is only the removal-order number or A-number, is REJ_NO_INVESTIGATION."""
    person = fresh(demo.confirmable(1)[0], "R19", 1)
    changes = {
        "missing": {"investigation_id": ""},
        "removal-order": {"investigation_id": person["removal_order_case_number"]},
        "removal-order-recased": {"investigation_id": f" {person['removal_order_case_number'].lower()} "},
        "a-number": {"investigation_id": person["a_number"]},
        "not-a-reference": {"investigation_id": "PENDING"},
        "case-number": {"investigation_id": "HSI-CI-2026-004711"},
    }
    rows = [
        fresh(person, "R19", n) | change | {"record_id": f"R19-{key}"}
        for n, (key, change) in enumerate(changes.items())
    ]
    summary = demo.submit(rows)
    checks = validated(demo, summary.batch_id)
    assert {key: checks[f"R19-{key}"]["r19"] for key in changes} == {
        key: ("pass" if key == "case-number" else "REJ_NO_INVESTIGATION") for key in changes
    }


def test_r20_removal_order_and_ninety_day_ripeness(demo: Harness) -> None:
    """R20: the removal order is required, and a 1253(a)(1) request 90 days after it passes while 89 days is REJ_PREDICATE_NOT_RIPE."""
    assert stored_spec(demo).statutes.ripeness_days == {"8 U.S.C. 1253(a)(1)": 90}
    received = today(demo)
    changes = {
        "day-90": {"removal_order_date": (received - dt.timedelta(days=90)).isoformat()},
        "day-89": {"removal_order_date": (received - dt.timedelta(days=89)).isoformat()},
        "order-tomorrow": {"removal_order_date": (received + dt.timedelta(days=1)).isoformat()},
        "no-date": {"removal_order_date": ""},
        "no-case-number": {"removal_order_case_number": ""},
    }
    summary = demo.submit(variants(demo, "R20", changes))
    checks = validated(demo, summary.batch_id)
    assert {key: checks[f"R20-{key}"]["r20"] for key in changes} == {
        "day-90": "pass", "day-89": "REJ_PREDICATE_NOT_RIPE", "order-tomorrow": "REJ_PREDICATE_NOT_RIPE",
        "no-date": "REJ_REMOVAL_ORDER_MISSING", "no-case-number": "REJ_REMOVAL_ORDER_MISSING",
    }  # fmt: skip


def test_r21_named_recipient_officers(demo: Harness) -> None:
    """R21: a record naming no recipient officer (or no usable officer id) is REJ_NO_RECIPIENTS."""
    changes = {
        "missing": {"recipients": ""},
        "separators-only": {"recipients": " ; "},
        "not-an-id": {"recipients": "Agent Smith"},
        "two-officers": {"recipients": "SA-0001;SA-0002"},
    }
    summary = demo.submit(variants(demo, "R21", changes))
    checks = validated(demo, summary.batch_id)
    assert {key: checks[f"R21-{key}"]["r21"] for key in changes} == {
        "missing": "REJ_NO_RECIPIENTS", "separators-only": "REJ_NO_RECIPIENTS",
        "not-an-id": "REJ_NO_RECIPIENTS", "two-officers": "pass",
    }  # fmt: skip


def test_r22_engagement_plausibility_cap(demo: Harness) -> None:
    """R22: with engagement_cap 3, an officer on 3 investigations passes; on a 4th (in a later batch or in one batch) is held."""
    assert stored_spec(demo).limits.engagement_cap == 50  # the default; F7 tests it at 50 and 51
    values = agreement_values(demo, 2)
    values["limits"]["engagement_cap"] = 3
    activate(demo, values)

    first = demo.submit(valid_rows(demo, 3, "R22A", recipients="SA-ORTIZ;SA-PARTNER-1"), agreement_version=2)
    assert set(demo.codes(first.batch_id).values()) == {"CONFIRMED"}
    later = demo.submit(valid_rows(demo, 1, "R22B", recipients="SA-ORTIZ"), agreement_version=2)
    assert set(demo.codes(later.batch_id).values()) == {"HOLD_ENGAGEMENT_IMPLAUSIBLE"}

    one_batch = demo.submit(valid_rows(demo, 4, "R22C", recipients="SA-QUINN"), agreement_version=2)
    assert set(demo.codes(one_batch.batch_id).values()) == {"HOLD_ENGAGEMENT_IMPLAUSIBLE"}
    assert one_batch.by_code == {"PENDING_REVIEW": 4}

    # Several people in one investigation count as one investigation for the officer.
    shared = [
        row | {"investigation_id": "HSI-R22D-000001"}
        for row in valid_rows(demo, 4, "R22D", recipients="SA-REYES")
    ]
    shared[3]["investigation_id"] = "HSI-R22D-000002"
    same_case = demo.submit(shared, agreement_version=2)
    assert set(demo.codes(same_case.batch_id).values()) == {"CONFIRMED"}


class TestR23SchemaStrict:
    """R23: a value in a column the agreement does not declare is refused, not stored."""

    def test_r23_column_no_agreement_declares(self, demo: Harness) -> None:
        """A column such as FIN or employer is REJ_UNDECLARED_FIELD."""
        rows = variants(demo, "R23", {"fin": {"fin": "FIN-1234567890"}, "plain": {}})
        path = demo.write(rows, header=[*rows[1].keys(), "fin"])
        summary = demo.pipeline.submit(path, demo.sign(path))
        codes = demo.codes(summary.batch_id)
        assert codes["R23-fin"] == "REJ_UNDECLARED_FIELD"
        assert validated(demo, summary.batch_id)["R23-plain"]["r23"] == "pass"

    def test_r23_request_column_the_agreement_leaves_out(self, demo: Harness) -> None:
        """Under an agreement that does not declare a_number, a record carrying one is REJ_UNDECLARED_FIELD."""
        values = agreement_values(demo, 2)
        values["data_elements"]["declared"].remove("a_number")
        activate(demo, values)
        rows = variants(demo, "R23", {"a-number": {}, "blank": {"a_number": ""}})
        assert rows[0]["a_number"]
        summary = demo.submit(rows, agreement_version=2)
        checks = validated(demo, summary.batch_id)
        assert checks["R23-a-number"]["r23"] == "REJ_UNDECLARED_FIELD"
        assert checks["R23-blank"]["r23"] == "pass"  # an empty column carries nothing to store
        assert demo.codes(summary.batch_id)["R23-a-number"] == "REJ_UNDECLARED_FIELD"


class TestR24Duplicates:
    """R24: the same person, address and investigation again, in the batch or a pending batch, is REJ_DUPLICATE."""

    def test_r24_duplicate_within_and_across_pending_batches(self, demo: Harness) -> None:
        """The first request stands; a copy in the same batch and one in a later batch are REJ_DUPLICATE."""
        original = valid_rows(demo, 1, "R24")[0]
        recased = original | {"record_id": "R24-COPY", "surname": original["surname"].lower(),
                              "address_line1": f" {original['address_line1']} "}  # fmt: skip
        first = demo.submit([original, recased])
        assert demo.codes(first.batch_id) == {"R24-0001": "CONFIRMED", "R24-COPY": "REJ_DUPLICATE"}
        assert first.by_code == {"CONFIRMED": 1, "REJECTED_DUPLICATE": 1}

        again = demo.submit([original | {"record_id": "R24-AGAIN"}])
        assert demo.codes(again.batch_id) == {"R24-AGAIN": "REJ_DUPLICATE"}
        other_case = demo.submit([fresh(original, "R24X", 1)])  # same person, another investigation
        assert set(demo.codes(other_case.batch_id).values()) == {"CONFIRMED"}

        for summary in (first, again, other_case):  # once released, a batch is no longer pending
            approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        later = demo.submit([original | {"record_id": "R24-LATER"}])
        assert demo.codes(later.batch_id) == {"R24-LATER": "CONFIRMED"}

    def test_r24_corrected_resubmission_of_a_rejected_record_is_not_a_duplicate(self, demo: Harness) -> None:
        """A record rejected for a defect and resubmitted corrected while its batch awaits approval is judged afresh."""
        good = valid_rows(demo, 20, "R24G")
        wrong = fresh(demo.confirmable(1)[0], "R24W", 1, statute="8 U.S.C. 1326")
        first = demo.submit([*good, wrong])
        assert first.status == "awaiting_approval"
        assert demo.codes(first.batch_id)["R24W-0001"] == "REJ_STATUTE_NOT_PERMITTED"
        corrected = demo.submit([wrong | {"record_id": "R24W-FIXED", "statute": "8 U.S.C. 1253(a)(1)"}])
        assert demo.codes(corrected.batch_id) == {"R24W-FIXED": "CONFIRMED"}


class TestR25Screen:
    """R25: a taxpayer on the (i)(6) screen is never disclosed, and the requester is not told why."""

    @staticmethod
    def screen(demo: Harness, tin: str) -> None:
        with demo.runtime.database.read() as connection:
            key = screen_key(demo.settings.path(demo.settings.screen_key_file), connection)
        with demo.ledger.transaction() as tx:
            add_to_screen(tx, key, tin, "confidential_informant", OPERATOR)

    def test_r25_screened_taxpayer_is_blocked_without_reason(self, demo: Harness) -> None:
        """A confirmable record of a screened taxpayer is BLOCKED_6103I6; the requester sees plain BLOCKED."""
        rows = valid_rows(demo, 2, "R25")
        tin = demo.truth[demo.confirmable(1)[0]["record_id"]]["true_tin"]
        self.screen(demo, tin)
        summary = demo.submit(rows)
        codes = demo.codes(summary.batch_id)
        assert codes == {"R25-0001": "BLOCKED_6103I6", "R25-0002": "CONFIRMED"}
        assert response_code(codes["R25-0001"]) == "BLOCKED"
        decision = by_record(demo, summary.batch_id, "decision.made")["R25-0001"]
        assert decision["details"]["r25"] == "BLOCKED_6103I6"
        assert decision["details"]["response"] == "BLOCKED"
        approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        assert case_status(demo.ledger, decision["details"]["case"])["code"] == "BLOCKED"
        disclosed = [e["object"]["id"] for e in demo.entries() if e["event_type"] == "disclosure.made"]
        assert decision["details"]["case"] not in disclosed
        assert tin not in json.dumps(demo.entries())  # the screen is kept by keyed hash, never the TIN

    def test_r25_a_missing_screen_key_fails_closed(self, demo: Harness) -> None:
        """With taxpayers listed, a lost key file stops the batch instead of minting a key that matches nobody."""
        tin = demo.truth[demo.confirmable(1)[0]["record_id"]]["true_tin"]
        self.screen(demo, tin)
        demo.settings.path(demo.settings.screen_key_file).unlink()
        with pytest.raises(PolicyError, match=r"screen lists 1 taxpayers but its key .* is missing"):
            demo.submit(valid_rows(demo, 1, "R25K"))
        assert not demo.settings.path(demo.settings.screen_key_file).exists()
        assert not [e for e in demo.entries() if e["event_type"] == "disclosure.made"]

    def test_r25_taxpayer_screened_before_release_is_not_disclosed(self, demo: Harness) -> None:
        """A taxpayer put on the screen while the batch awaits approval is not disclosed at release."""
        summary = demo.submit(valid_rows(demo, 1, "R25"))
        assert demo.codes(summary.batch_id) == {"R25-0001": "CONFIRMED"}
        self.screen(demo, demo.truth[demo.confirmable(1)[0]["record_id"]]["true_tin"])
        with contextlib.suppress(ReleaseError):  # refusing the release is as good as blocking the record
            approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        assert not [e for e in demo.entries() if e["event_type"] == "disclosure.made"]


def test_r26_a_tin_never_substitutes_for_an_address(demo: Harness) -> None:
    """R26: a real taxpayer's TIN and name with no valid address are rejected under R10-R13."""
    person = demo.confirmable(1)[0]
    tin = demo.truth[person["record_id"]]["true_tin"]
    changes = {
        "blank": dict.fromkeys(ADDRESS, ""),
        "zip-only": {"address_line1": "", "city": "", "state": ""},
        "placeholder": {"address_line1": "Failed to Provide"},
        "no-city": {"city": ""},
    }
    rows = [fresh(person, "R26", n) | change | {"record_id": f"R26-{key}", "tin": tin}
            for n, (key, change) in enumerate(changes.items())]  # fmt: skip
    summary = demo.submit(rows)
    assert demo.codes(summary.batch_id) == {
        "R26-blank": "REJ_ADDR_MISSING", "R26-zip-only": "REJ_ADDR_ZIP_ONLY",
        "R26-placeholder": "REJ_ADDR_PLACEHOLDER", "R26-no-city": "REJ_ADDR_INCOMPLETE",
    }  # fmt: skip


# --- C. Matching and the disclosure decision ------------------------------------------------------------


def test_r27_confirmation_requires_the_address_gate(demo: Harness) -> None:
    """R27: every CONFIRMED decision passed the address gate; wrong addresses of the named person fail it."""
    rows = (demo.confirmable(4) + demo.rows_of("moved_old_address", 3) + demo.rows_of("wrong_unit", 2)
            + demo.rows_of("missing_unit", 2) + demo.rows_of("wrong_house_number", 2))  # fmt: skip
    summary = demo.submit(rows)
    decisions = by_record(demo, summary.batch_id, "decision.made")
    confirmed = [d for d in decisions.values() if d["reason_code"] == "CONFIRMED"]
    assert len(confirmed) == 4
    assert {d["details"]["r27"] for d in confirmed} == {"pass"}
    for row in rows[4:]:
        assert decisions[row["record_id"]]["reason_code"] == "NOT_CONFIRMED"
        assert decisions[row["record_id"]]["details"]["r27"] == "fail"


def test_r28_a_supplied_tin_must_be_the_confirmed_taxpayers(demo: Harness) -> None:
    """R28: the right TIN confirms, a different TIN does not, and a TIN with the right name at another address does not."""
    exact = demo.confirmable(2)
    right = demo.truth[exact[0]["record_id"]]["true_tin"]
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    moved = demo.rows_of("moved_old_address", 1)[0]
    rows = [
        fresh(exact[0], "R28", 1, tin=right),
        fresh(exact[0], "R28", 2, tin=wrong),
        fresh(exact[1], "R28", 3, tin=right),  # another taxpayer's TIN
        moved | {"tin": demo.truth[moved["record_id"]]["true_tin"]},
    ]
    summary = demo.submit(rows)
    codes = demo.codes(summary.batch_id)
    assert [codes[r["record_id"]] for r in rows] == [
        "CONFIRMED",
        "NOT_CONFIRMED",
        "NOT_CONFIRMED",
        "NOT_CONFIRMED",
    ]
    decisions = by_record(demo, summary.batch_id, "decision.made")
    assert [decisions[r["record_id"]]["details"]["r28"] for r in rows[:3]] == ["pass", "fail", "fail"]


def test_r29_near_matches_go_to_review_not_confirmation(demo: Harness) -> None:
    """R29: a nickname, typo, swapped name or transposed DOB the engine matches is MANUAL_REVIEW (PENDING_REVIEW), never CONFIRMED."""
    rows = (demo.rows_of("nickname", 4) + demo.rows_of("typo_name", 4) + demo.rows_of("dob_transposed", 2)
            + demo.rows_of("swapped_name_order", 2))  # fmt: skip
    summary = demo.submit(rows)
    cases = demo.cases(summary.batch_id)
    assert "CONFIRMED" not in {c.internal_code for c in cases.values()}
    matched = [rid for rid, c in cases.items() if c.reason == "MATCH"]
    assert len(matched) >= 6
    decisions = by_record(demo, summary.batch_id, "decision.made")
    for record_id in matched:
        assert cases[record_id].internal_code == "MANUAL_REVIEW"
        assert decisions[record_id]["details"]["r29"] == "review"
        assert decisions[record_id]["details"]["response"] == "PENDING_REVIEW"


def test_r30_r31_ambiguous_household_or_name_is_never_confirmed(demo: Harness) -> None:
    """R30/R31: twins at one address are AMBIGUOUS_HOUSEHOLD, namesakes and Jr/Sr without suffix AMBIGUOUS_NAME; nothing disclosed."""
    twins = demo.rows_of("twins_similar_names", 1)
    namesakes = demo.rows_of("namesake_same_address", 1) + demo.rows_of("jr_sr_no_suffix", 2)
    summary = demo.submit(twins + namesakes)
    codes = demo.codes(summary.batch_id)
    assert {codes[r["record_id"]] for r in twins} == {"AMBIGUOUS_HOUSEHOLD"}
    assert {codes[r["record_id"]] for r in namesakes} == {"AMBIGUOUS_NAME"}
    assert summary.by_code == {"PENDING_REVIEW": 4}  # the internal reason stays internal
    demo.review_all(summary.batch_id)
    approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
    assert not [e for e in demo.entries() if e["event_type"] == "disclosure.made"]


def test_r32_every_confirmation_references_its_validations(demo: Harness) -> None:
    """R32: each CONFIRMED case's ledger shows R10-R13, R19, R21 passed at validation and R25, R27 at decision, and the disclosure refers to both."""
    rows = demo.confirmable(5) + demo.rows_of("moved_old_address", 2) + demo.rows_of("nickname", 2)
    summary = demo.submit(rows)
    demo.review_all(summary.batch_id)
    approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
    entries = {e["seq"]: e for e in demo.entries()}
    validations = by_record(demo, summary.batch_id, "record.validated")
    decisions = by_record(demo, summary.batch_id, "decision.made")
    confirmed = [rid for rid, d in decisions.items() if d["reason_code"] == "CONFIRMED"]
    assert len(confirmed) == 5
    for record_id in confirmed:
        checks = validations[record_id]["details"]
        assert [checks[r] for r in ("r10", "r11", "r12", "r13", "r19", "r21")] == ["pass"] * 6
        decision = decisions[record_id]
        assert (decision["details"]["r25"], decision["details"]["r27"]) == ("pass", "pass")
        assert decision["refs"] == [validations[record_id]["seq"]]
    disclosures = [e for e in entries.values() if e["event_type"] == "disclosure.made"]
    assert len(disclosures) == 5
    for disclosure in disclosures:
        validated_seq, decided_seq, approval_seq = disclosure["refs"]
        assert entries[validated_seq]["event_type"] == "record.validated"
        assert entries[decided_seq]["event_type"] == "decision.made"
        assert entries[decided_seq]["reason_code"] == "CONFIRMED"
        assert entries[approval_seq]["event_type"] == "approval.recorded"
        assert (
            entries[validated_seq]["details"]["case"]
            == entries[decided_seq]["details"]["case"]
            == disclosure["object"]["id"]
        )


class TestR33MinimalResponse:
    """R33: the requester sees one code from a closed set, and nothing about which element failed."""

    def test_r33_every_internal_code_maps_into_the_closed_set(self) -> None:
        """Rejections name their defect; every other internal code is CONFIRMED, NOT_CONFIRMED, PENDING_REVIEW or BLOCKED."""
        internal = [*REJECTIONS, "CONFIRMED", "NOT_CONFIRMED", "MANUAL_REVIEW", "AMBIGUOUS_HOUSEHOLD",
                    "AMBIGUOUS_NAME", "HOLD_LEGAL_REVIEW", "HOLD_NONSPECIFIC_REASON",
                    "HOLD_ENGAGEMENT_IMPLAUSIBLE", "BLOCKED_LEGAL_HOLD", "BLOCKED_6103I6",
                    "BLOCKED_NOT_DECIDED", "ERR_RULE_FAILED", "VALID", "SOMETHING_NEW"]  # fmt: skip
        for code in internal:
            shown = response_code(code)
            assert shown in RESPONSES or (code in REJECTIONS and shown.startswith("REJECTED_")), code
        assert {response_code(c) for c in ("ERR_RULE_FAILED", "VALID", "SOMETHING_NEW")} == {"BLOCKED"}
        assert {response_code(c) for c in ("AMBIGUOUS_HOUSEHOLD", "AMBIGUOUS_NAME", "MANUAL_REVIEW")} == {
            "PENDING_REVIEW"
        }

    def test_r33_results_file_has_exactly_three_columns(
        self, demo: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The results file `custos batch results` delivers carries record_id, case_number and code, and no engine reason."""
        rows = (demo.confirmable(3) + demo.rows_of("moved_old_address", 1) + demo.rows_of("twins_similar_names", 1)
                + demo.rows_of("nickname", 1))  # fmt: skip
        summary = demo.submit(rows)
        demo.review_all(summary.batch_id)
        approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        monkeypatch.chdir(
            tmp_path
        )  # should the endpoint's location be relative, it stays in the test's directory
        result = CliRunner().invoke(
            app, ["--dir", str(demo.directory), "batch", "results", summary.batch_id, "--by", OPERATOR.id]
        )
        assert result.exit_code == 0, result.output
        (out,) = {
            *demo.directory.rglob(f"*{summary.batch_id}*.csv"),
            *tmp_path.rglob(f"*{summary.batch_id}*.csv"),
        }
        text = out.read_text(encoding="utf-8")
        results = list(csv.DictReader(text.splitlines()))
        assert list(results[0]) == ["record_id", "case_number", "code"]
        assert [r["record_id"] for r in results] == [r["record_id"] for r in rows]
        assert {r["code"] for r in results} <= RESPONSES
        for word in ("AMBIGUOUS", "MISMATCH", "MANUAL", "MATCH,", "NO_CANDIDATE"):
            assert word not in text


def test_r34_last_known_address_only_by_explicit_clause() -> None:
    """R34: an agreement in last_known_address mode without its clause is refused; confirm-only is the default."""
    base = {"schema": "custos-agreement/1", "id": "R34-AGREEMENT", "version": 1, "title": "R34",
            "parties": {"custodian": "IRS", "requester": "DHS", "requester_code": "DHS"},
            "signers": [{"id": "secretary", "name": "S", "title": "Secretary", "agency": "DHS",
                         "agency_head": True, "public_key": _public_pem()}],
            "statutes": {"permitted": ["8 U.S.C. 1253(a)(1)"]},
            "tax_years": {"earliest": 2020, "latest": 2025}}  # fmt: skip
    assert parse_agreement(base).disclosure.mode == "confirm_only"
    with pytest.raises(AgreementFileError, match="R34"):
        parse_agreement(base | {"disclosure": {"mode": "last_known_address"}})
    clause = {"mode": "last_known_address", "last_known_address_clause": "Section 7(b) of the agreement"}
    assert parse_agreement(base | {"disclosure": clause}).disclosure.last_known_address_clause


def _public_pem() -> str:
    return public_key_pem(generate_private_key("ed25519"))


def test_r35_release_needs_a_documented_delegated_approval(demo: Harness) -> None:
    """R35: a release without role or delegation is refused; the approval records who, role, delegation, time and counts."""
    summary = demo.submit(demo.confirmable(2) + demo.rows_of("moved_old_address", 1))
    size = demo.ledger.head().size
    for role, delegation in (("", "DO 11-2"), ("Disclosure Manager", " ")):
        with pytest.raises(ReleaseError, match="R35"):
            approve_and_release(demo.ledger, summary.batch_id, Approval(OPERATOR, role, delegation))
    assert demo.ledger.head().size == size
    assert batch_status(demo.ledger, summary.batch_id)["status"] == "awaiting_approval"

    counts = approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
    assert counts == {"CONFIRMED": 2, "NOT_CONFIRMED": 1}
    approval = next(e for e in demo.entries() if e["event_type"] == "approval.recorded")
    assert approval["actor"]["id"] == OPERATOR.id
    assert approval["object"]["id"] == summary.batch_id
    assert approval["recorded_at"]
    assert approval["details"] == {"role": APPROVAL.role, "delegation": APPROVAL.delegation,
                                   "count_confirmed": 2, "count_not_confirmed": 1}  # fmt: skip
    status = batch_status(demo.ledger, summary.batch_id)
    assert (status["status"], status["approved_by"]) == ("released", OPERATOR.id)
    assert status["released_at"]


def test_r36_only_the_address_confirmation_leaves(demo: Harness) -> None:
    """R36: every disclosure event's field is the address confirmation, tagged TAXPAYER_IDENTITY, and carries no return information."""
    rows = demo.confirmable(3)
    summary = demo.submit(rows)
    approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
    disclosures = [e for e in demo.entries() if e["event_type"] == "disclosure.made"]
    assert len(disclosures) == 3
    for event in disclosures:
        assert event["details"]["field"] == "TAXPAYER_IDENTITY:address_confirmation"
        assert not {"tin", "address", "dob", "income", "employer", "dependents", "bank"} & set(
            event["details"]
        )
    text = json.dumps(disclosures)
    for row in rows:
        assert demo.truth[row["record_id"]]["true_tin"] not in text
        assert row["address_line1"] not in text


# --- G. Governance ------------------------------------------------------------------------------------


def test_r59_two_person_activation(demo: Harness) -> None:
    """R59: a new agreement version is not activated on one approval, nor on the same person twice; two different approvers activate it."""
    spec = load_draft(demo, agreement_values(demo, 2))
    with demo.ledger.transaction() as tx:
        assert approve_agreement(tx, spec.id, 2, APPROVERS[0]) == 1
    with demo.ledger.transaction() as tx, pytest.raises(AgreementStateError, match="R59"):
        activate_agreement(tx, spec.id, 2, OPERATOR)
    with demo.ledger.transaction() as tx, pytest.raises(AgreementStateError, match="already approved"):
        approve_agreement(tx, spec.id, 2, APPROVERS[0])
    with demo.ledger.transaction() as tx:
        assert approve_agreement(tx, spec.id, 2, APPROVERS[1]) == 2
        activate_agreement(tx, spec.id, 2, OPERATOR)
    with demo.runtime.database.read() as connection:
        assert get_agreement(connection, DEMO_AGREEMENT, 2).status == "active"
        assert get_agreement(connection, DEMO_AGREEMENT, 1).status == "superseded"
    actions = [
        e["action"] for e in demo.entries() if e["object"] and e["object"]["id"] == f"{DEMO_AGREEMENT}@2"
    ]
    assert actions == ["agreement.load", "agreement.approve", "agreement.approve", "agreement.activate"]


def test_r61_incomplete_agreement_cannot_be_activated(demo: Harness) -> None:
    """R61: an agreement missing any required element is refused activation, naming the element."""
    removals = {
        "purpose": lambda v: v.pop("purpose"),
        "data_elements": lambda v: v.pop("data_elements"),
        "expected_records_per_year": lambda v: v.pop("expected_records_per_year"),
        "term": lambda v: v.pop("term"),
        "verification_procedure": lambda v: v.pop("verification_procedure"),
        "retention.destruction": lambda v: v["retention"].pop("destruction"),
        "security": lambda v: v.pop("security"),
        "redisclosure_limits": lambda v: v.pop("redisclosure_limits"),
        "accuracy_assessment": lambda v: v.pop("accuracy_assessment"),
    }
    for version, (element, remove) in enumerate(removals.items(), start=2):
        values = agreement_values(demo, version)
        remove(values)
        with pytest.raises(AgreementStateError, match=rf"{element}.*\(R61\)"):
            activate(demo, values)
    with demo.runtime.database.read() as connection:
        assert get_agreement(connection, DEMO_AGREEMENT, 1).status == "active"


# --- H. Interfaces ------------------------------------------------------------------------------------


def test_r64_unique_case_numbers_with_queryable_status(demo: Harness) -> None:
    """R64: every record gets a unique case number; its status is PENDING_RELEASE until release, then its code."""
    first = demo.submit(demo.confirmable(2) + demo.rows_of("moved_old_address", 1))
    second = demo.submit(valid_rows(demo, 2, "R64"))
    numbers = [case_number(c.case_id) for s in (first, second) for c in demo.cases(s.batch_id).values()]
    assert len(numbers) == len(set(numbers)) == 5
    assert all(len(n) == 11 and n.startswith("C") and n[1:].isdigit() for n in numbers)

    moved = demo.rows_of("moved_old_address", 1)[0]["record_id"]
    moved_case = case_number(demo.cases(first.batch_id)[moved].case_id)
    assert case_status(demo.ledger, moved_case)["code"] == "PENDING_RELEASE"
    approve_and_release(demo.ledger, first.batch_id, APPROVAL)
    status = case_status(demo.ledger, moved_case)
    assert status == {"case_number": moved_case, "batch_id": first.batch_id, "record_id": moved,
                      "code": "NOT_CONFIRMED"}  # fmt: skip
    assert all(e["object"]["id"] in numbers for e in demo.entries() if e["event_type"] == "decision.made")
    with pytest.raises(ReleaseError):
        case_status(demo.ledger, "C9999999999")


class TestR67MinimumIdentifiers:
    """R67: the agreement's minimum identifier set is required of every record; a name alone never suffices."""

    def test_r67_record_missing_an_identifier_of_the_minimum_set(self, demo: Harness) -> None:
        """Under an agreement whose minimum set includes dob, a record without one is REJ_INSUFFICIENT_IDENTIFIERS."""
        values = agreement_values(demo, 2)
        values["data_elements"]["minimum_identifiers"].append("dob")
        activate(demo, values)
        with_dob = valid_rows(demo, 19, "R67")  # 1 defective in 20: the batch is not rejected whole (R9)
        assert all(row["dob"] for row in with_dob)
        no_dob = fresh(demo.confirmable(1)[0], "R67", 99, dob="")
        summary = demo.submit([*with_dob, no_dob], agreement_version=2)
        assert summary.by_code == {"CONFIRMED": 19, "REJECTED_INSUFFICIENT_IDENTIFIERS": 1}
        assert demo.codes(summary.batch_id)["R67-0099"] == "REJ_INSUFFICIENT_IDENTIFIERS"
        assert validated(demo, summary.batch_id)["R67-0099"]["r67"] == "REJ_INSUFFICIENT_IDENTIFIERS"
        assert response_code("REJ_INSUFFICIENT_IDENTIFIERS") == "REJECTED_INSUFFICIENT_IDENTIFIERS"

    def test_r67_name_only_requests_are_rejected(self, demo: Harness) -> None:
        """A record with a name and nothing else is rejected, and no agreement may set a minimum below name and address."""
        person = demo.confirmable(1)[0]
        name_only = fresh(person, "R67", 1) | dict.fromkeys((*ADDRESS, "dob", "tin"), "")
        summary = demo.submit([name_only])
        (code,) = demo.codes(summary.batch_id).values()
        assert code.startswith("REJ_")
        values = agreement_values(demo, 2)
        values["data_elements"]["minimum_identifiers"] = ["given_name", "surname"]
        with pytest.raises(AgreementFileError, match="R67"):
            parse_agreement(values)
