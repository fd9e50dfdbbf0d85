"""The decision pipeline end to end on the demo installation: admit, validate, match, hold, release."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.unit.accounting.harness import OPERATOR, Harness

from custos.accounting.admission import SubmissionRejected
from custos.accounting.release import Approval, ReleaseError, approve_and_release, case_status, write_results
from custos.accounting.tables import case_number

APPROVAL = Approval(OPERATOR, "Disclosure Manager", "DO 11-2 (demo)")


class TestEndToEnd:
    def test_a_valid_record_is_confirmed_only_after_approval(self, demo: Harness, tmp_path: Path) -> None:
        """An exact record is CONFIRMED, but the results file exists only after a delegated approval."""
        rows = demo.confirmable(3)
        summary = demo.submit(rows)
        assert summary.status == "awaiting_approval"
        assert summary.by_code == {"CONFIRMED": 3}
        with pytest.raises(ReleaseError, match="results leave only after release"):
            write_results(demo.ledger, summary.batch_id, OPERATOR, root=demo.directory)
        approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        out = write_results(demo.ledger, summary.batch_id, OPERATOR, root=demo.directory)
        assert out.parent == demo.directory / "demo" / "outbox"
        with out.open(newline="") as handle:
            results = list(csv.DictReader(handle))
        assert [r["code"] for r in results] == ["CONFIRMED"] * 3
        assert list(results[0]) == ["record_id", "case_number", "code"]
        assert case_status(demo.ledger, results[0]["case_number"])["code"] == "CONFIRMED"

    def test_every_record_has_one_validation_and_one_decision_in_the_ledger(self, demo: Harness) -> None:
        """Each case appears in exactly one record.validated and one decision.made, which refers to it."""
        summary = demo.submit(demo.confirmable(2) + demo.rows_of("placeholder", 1))
        cases = demo.cases(summary.batch_id)
        entries = demo.entries()
        for row in cases.values():
            number = case_number(row.case_id)
            validated = [
                e for e in entries if e["event_type"] == "record.validated" and e["details"]["case"] == number
            ]
            decided = [
                e for e in entries if e["event_type"] == "decision.made" and e["details"]["case"] == number
            ]
            assert len(validated) == 1 and len(decided) == 1
            assert decided[0]["refs"] == [validated[0]["seq"]]

    def test_a_replayed_envelope_is_refused_with_one_ledger_event(self, demo: Harness) -> None:
        """The same signed envelope submitted twice: the second is refused as a replay, nothing created."""
        path = demo.write(demo.confirmable(1))
        envelope = demo.sign(path)
        demo.pipeline.submit(path, envelope)
        size = demo.ledger.head().size
        with pytest.raises(SubmissionRejected) as caught:
            demo.pipeline.submit(path, envelope)
        assert caught.value.code == "REJ_REPLAY"
        assert demo.ledger.head().size == size + 1
        assert demo.entries()[-1]["event_type"] == "request.replay_detected"
