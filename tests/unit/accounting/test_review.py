"""Review decisions (R65): a person decides held records, but never more than the evidence allows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.accounting.harness import OPERATOR, REVIEWER, Harness

from custos.accounting.release import Approval, ReleaseError, approve_and_release
from custos.accounting.review import ReviewError, decide_review, gather_evidence, review_queue
from custos.accounting.tables import case_number
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
