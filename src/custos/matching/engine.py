"""The matching engine: standardize requests, fetch candidates, decide.

Batches fetch the candidates of many requests in one join on the street
key; a single lookup uses the street-key index.  Both go through the same
:func:`custos.matching.decision.decide`, so a record is decided the same way
whichever path it takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from custos.matching.decision import NameStatistics, decide
from custos.matching.index import MasterIndex, name_key
from custos.matching.models import Candidate, Decision, MatchCode, MatchRequest, Reason
from custos.matching.thresholds import MatchThresholds
from custos.standardize.addresses import standardize_address
from custos.standardize.names import standardize_name

MAX_RECORD_ID = 64


def _valid_dob(text: str) -> bool:
    try:
        return dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def prepare(row: Mapping[str, str | None]) -> MatchRequest:
    """Standardize one request row; malformed fields become defects, never exceptions."""
    defects = []
    record_id = (row.get("record_id") or "").strip()
    if not record_id:
        defects.append("record_id missing")
    elif len(record_id) > MAX_RECORD_ID:
        defects.append("record_id longer than 64 characters")
    dob = (row.get("dob") or "").strip() or None
    if dob is not None and not _valid_dob(dob):
        defects.append("dob is not a YYYY-MM-DD date")
        dob = None
    name = standardize_name(row.get("given_name"), row.get("middle_name"), row.get("surname"),
                            row.get("name_suffix"))  # fmt: skip
    address = standardize_address(row.get("address_line1"), row.get("address_line2"), row.get("city"),
                                  row.get("state"), row.get("zip"))  # fmt: skip
    return MatchRequest(record_id, name, address, dob, tuple(defects))


class MatchEngine:
    """Decides requests against one master index snapshot."""

    def __init__(self, index: MasterIndex, thresholds: MatchThresholds | None = None) -> None:
        self.index = index
        self.thresholds = thresholds or MatchThresholds()

    def match_batch(self, requests: Sequence[MatchRequest]) -> list[Decision]:
        """Decide a batch; malformed requests get MALFORMED_RECORD and do not stop the rest."""
        usable = [r for r in requests if not r.defects]
        candidates = self.index.candidates([r.address.street_key for r in usable])
        counts = dict(
            zip((id(r) for r in usable), self.index.frequencies([r.name for r in usable]), strict=True)
        )
        decisions = []
        for request in requests:
            if request.defects:
                detail = "; ".join(request.defects)
                snapshot = self.index.info.snapshot_id
                malformed = Decision(
                    request.record_id,
                    MatchCode.NOT_CONFIRMED,
                    Reason.MALFORMED_RECORD,
                    None,
                    (),
                    detail,
                    snapshot,
                )
                decisions.append(malformed)
                continue
            found = candidates.get(request.address.street_key, [])
            decisions.append(self._decide(request, found, counts[id(request)]))
        return decisions

    def match_one(self, request: MatchRequest) -> Decision:
        """Decide a single request through the street-key index (the interactive path)."""
        if request.defects:
            return self.match_batch([request])[0]
        found = self.index.candidates_at(request.address.street_key)
        counts = next(iter(self.index.frequencies([request.name])))
        return self._decide(request, found, counts)

    def _decide(
        self, request: MatchRequest, candidates: Sequence[Candidate], counts: tuple[int, int, int]
    ) -> Decision:
        surname_count, given_count, same_name = counts
        key = name_key(request.name)
        here = sum(1 for c in candidates if (c.name_key or name_key(c.name)) == key)
        stats = NameStatistics(self.index.info.taxpayers, surname_count, given_count, same_name,
                               max(same_name - here, 0))  # fmt: skip
        return decide(request, candidates, stats, self.thresholds, self.index.info.snapshot_id)
