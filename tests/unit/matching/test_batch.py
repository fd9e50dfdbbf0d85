"""Batch matching in worker processes: same decisions as one process, in order, duplicates flagged."""

from __future__ import annotations

from pathlib import Path

from custos.matching.batch import DUPLICATE_ID, BatchMatcher
from custos.matching.models import MatchCode, Reason

ADDRESS = {"address_line1": "45 Elm St", "address_line2": "Apt 2", "city": "Springfield", "state": "IL",
           "zip": "62701"}  # fmt: skip
ANA = {"given_name": "Ana", "surname": "Zabriskie", "dob": "1980-02-03", **ADDRESS}
NOBODY = {"given_name": "Zed", "surname": "Nobody", "dob": "1990-01-01", **ADDRESS}


def pages() -> list[list[dict[str, str | None]]]:
    rows: list[dict[str, str | None]] = []
    for number in range(12):
        rows.append({"record_id": f"r{number}", **(ANA if number % 2 else NOBODY)})
    rows.append({"record_id": "r3", **ANA})  # repeats an id from an earlier page
    return [rows[start : start + 4] for start in range(0, len(rows), 4)]


def decide(index_path: Path, workers: int) -> list[tuple[str, MatchCode, Reason, str]]:
    with BatchMatcher(index_path, workers=workers, memory_limit="1GB", threads=1) as matcher:
        return [(d.record_id, d.code, d.reason, d.detail) for page in matcher.match(pages()) for d in page]


class TestBatchMatcher:
    def test_workers_give_the_same_decisions_in_request_order(self, index_path: Path) -> None:
        """Two worker processes decide every page exactly as one process does, in order."""
        alone, parallel = decide(index_path, 1), decide(index_path, 2)
        assert parallel == alone
        assert [record_id for record_id, *_ in parallel] == [f"r{n}" for n in range(12)] + ["r3"]
        assert parallel[1][1] is MatchCode.CONFIRMED
        assert parallel[0][1] is MatchCode.NOT_CONFIRMED

    def test_a_repeated_record_id_is_malformed_even_across_pages(self, index_path: Path) -> None:
        """The second r3 (on another page, sent to another worker) is answered MALFORMED_RECORD."""
        last = decide(index_path, 2)[-1]
        assert last[:3] == ("r3", MatchCode.NOT_CONFIRMED, Reason.MALFORMED_RECORD)
        assert DUPLICATE_ID in last[3]
