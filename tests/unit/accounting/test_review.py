"""Review decisions (R65): a person decides held records, but never more than the evidence allows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.accounting.harness import OPERATOR, REVIEWER, Harness

from custos.accounting.release import Approval, ReleaseError, approve_and_release
from custos.accounting.review import (
    ENGINE_HOLDS,
    ReviewError,
    decide_review,
    decline_held,
    gather_evidence,
    review_queue,
)
from custos.accounting.tables import case_number
from custos.cli import main
from custos.matching.engine import MatchEngine
from custos.matching.index import MasterIndex

APPROVAL = Approval(OPERATOR, "Disclosure Manager", "DO 11-2")


@pytest.fixture
def engine(demo: Harness) -> Iterator[MatchEngine]:
    index = MasterIndex(demo.settings.path(demo.settings.master_index))
    yield MatchEngine(index)
    index.close()


def held_case(demo: Harness, category: str) -> tuple[str, str]:
    summary = demo.submit(demo.rows_of(category, 1))
    row = next(iter(demo.cases(summary.batch_id).values()))
    return summary.batch_id, case_number(row.case_id)


def test_a_batch_is_not_released_while_a_record_waits_for_review(demo: Harness) -> None:
    """Nothing leaves while a held record is undecided; once decided, the batch is released."""
    batch_id, _ = held_case(demo, "twins_similar_names")
    with pytest.raises(ReleaseError, match="awaiting additional verification"):
        approve_and_release(demo.ledger, batch_id, APPROVAL)
    assert demo.review_all(batch_id)
    approve_and_release(demo.ledger, batch_id, APPROVAL)


def test_a_reviewer_cannot_confirm_someone_the_evidence_does_not_support(
    demo: Harness, engine: MatchEngine
) -> None:
    """A taxpayer id not at the supplied delivery point is refused, whatever the form sent (R27)."""
    _, number = held_case(demo, "nickname")
    evidence = gather_evidence(demo.runtime, engine, number, REVIEWER)
    assert evidence.confirmable_ids
    stranger = max(c.taxpayer_id for c in evidence.household) + 1_000
    with pytest.raises(ReviewError, match="cannot be confirmed"):
        decide_review(demo.runtime, engine, number, REVIEWER, confirm_taxpayer=stranger,
                      reason="looks like the same person to me")  # fmt: skip
    with pytest.raises(ReviewError, match="written reason"):
        decide_review(demo.runtime, engine, number, REVIEWER, confirm_taxpayer=None, reason="no")
    code = decide_review(demo.runtime, engine, number, REVIEWER, confirm_taxpayer=evidence.confirmable_ids[0],
                         reason="nickname of the given name, same date of birth")  # fmt: skip
    assert code == "CONFIRMED"
    with demo.runtime.database.read() as connection:
        assert number not in {item.case for item in review_queue(connection, demo.ledger.clock.now())}
    decision = [e for e in demo.entries() if e["event_type"] == "decision.made"][-1]
    assert decision["actor"]["id"] == REVIEWER.id and decision["details"]["r27"] == "pass"
    assert "nickname of the given name" not in str(demo.entries())  # the reason is committed, not written


def test_declining_a_batch_queue_closes_every_held_record_and_confirms_none(demo: Harness) -> None:
    """A bulk decline closes each held record as NOT_CONFIRMED with its own reviewer entry (R65).

    It confirms nothing, opens no request (nothing is inspected), touches only that batch,
    and lets the batch be released.
    """
    held = demo.rows_of("twins_similar_names") + demo.rows_of("nickname") + demo.rows_of("jr_sr_no_suffix")
    batch_id = demo.submit(held + demo.confirmable(2)).batch_id
    _, other_case = held_case(demo, "namesake_same_address")
    before = {case_number(row.case_id): row.internal_code for row in demo.cases(batch_id).values()}
    waiting = {number for number, code in before.items() if code in ENGINE_HOLDS}
    assert len(waiting) >= 3
    entries_before = len(demo.entries())
    with pytest.raises(ReviewError, match="written reason"):
        decline_held(demo.runtime, batch_id, REVIEWER, "no")
    assert decline_held(demo.runtime, batch_id, REVIEWER, "queue closed: batch withdrawn", chunk=2) == len(
        waiting
    )
    after = {case_number(row.case_id): row.internal_code for row in demo.cases(batch_id).values()}
    assert {after[number] for number in waiting} == {"NOT_CONFIRMED"}
    assert {n: c for n, c in after.items() if n not in waiting} == {
        n: c for n, c in before.items() if n not in waiting
    }
    new = demo.entries()[entries_before:]
    assert [e["event_type"] for e in new] == ["decision.made"] * len(waiting)
    assert {e["actor"]["id"] for e in new} == {REVIEWER.id}
    assert {e["details"]["case"] for e in new} == waiting
    assert all(e["details"]["reviewed"] and e["details"]["declined_unopened"] for e in new)
    assert "batch withdrawn" not in str(new)  # the reason is committed, not written
    with demo.runtime.database.read() as connection:
        queue = {item.case for item in review_queue(connection, demo.ledger.clock.now())}
    assert other_case in queue and not queue.intersection(waiting)
    assert decline_held(demo.runtime, batch_id, REVIEWER, "queue closed: batch withdrawn") == 0
    counts = approve_and_release(demo.ledger, batch_id, APPROVAL)
    assert counts.get("CONFIRMED", 0) == 2 and counts.get("NOT_CONFIRMED", 0) >= len(waiting)


def test_the_command_line_declines_a_batch_queue(demo: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    """``custos review decline`` closes the batch's held records and says how many."""
    batch_id, number = held_case(demo, "twins_similar_names")
    argv = ["--dir", str(demo.directory), "review", "decline", batch_id, "--by", "demo-reviewer"]
    assert main([*argv, "--reason", "batch withdrawn by the requester"]) == 0
    assert f"{batch_id}: 1 held record(s) closed as NOT_CONFIRMED" in capsys.readouterr().out
    assert demo.codes(batch_id) == {row.record_id: "NOT_CONFIRMED" for row in demo.cases(batch_id).values()}
    with demo.runtime.database.read() as connection:
        assert number not in {item.case for item in review_queue(connection, demo.ledger.clock.now())}
