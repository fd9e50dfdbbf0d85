"""Statutory reports computed from the ledger itself (R44, R45, R46).

The 6103(p)(3)(C) public report and the accounting summary count, per
calendar year and requesting agency: requests received, records, instances
of disclosure, taxpayers affected, and the records rejected, held and blocked.
They are computed from ledger entries, not from working tables, so they can
be recomputed by an auditor from an exported bundle; and there is no setting
that leaves a batch out (the "no need for a press release" email, F14).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from custos.ledger.service import Ledger


@dataclass
class AgencyYear:
    """One agency's figures for one calendar year."""

    requests: int = 0
    records: int = 0
    disclosures: int = 0
    taxpayers: set[int] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)

    def as_row(self) -> dict[str, int]:
        """Plain figures, taxpayers as a count."""
        outcomes = {key.lower(): value for key, value in sorted(self.outcomes.items())}
        return {"requests": self.requests, "records": self.records, "disclosures": self.disclosures,
                "taxpayers": len(self.taxpayers), **outcomes}  # fmt: skip


def annual_report(ledger: Ledger, year: int) -> dict[str, dict[str, int]]:
    """Figures per requesting agency (its code in the agreement) for ``year``, from every ledger entry."""
    figures: defaultdict[str, AgencyYear] = defaultdict(AgencyYear)
    batch_agency: dict[str, str] = {}
    for seq in range(ledger.head().size):
        entry = json.loads(ledger.leaf(seq))
        kind, details = entry["event_type"], entry["details"]
        in_year = entry["recorded_at"].startswith(f"{year}-")
        if kind == "request.received":
            agency = str(details.get("requester_code"))
            batch_agency[entry["object"]["id"]] = agency
            if in_year:
                figures[agency].requests += 1
                figures[agency].records += int(details.get("record_count") or 0)
        elif kind == "disclosure.made" and in_year:
            agency = str(details.get("recipient_agency"))
            figures[agency].disclosures += 1
            if details.get("taxpayer_key") is not None:
                figures[agency].taxpayers.add(int(details["taxpayer_key"]))
        elif kind == "decision.made" and in_year:
            case_batch = _batch_of_case(details)
            agency = batch_agency.get(case_batch, "unknown") if case_batch else "unknown"
            response = str(details.get("response") or "UNKNOWN")
            figures[agency].outcomes["REJECTED" if response.startswith("REJECTED_") else response] += 1
    return {agency: data.as_row() for agency, data in sorted(figures.items())}


def _batch_of_case(details: dict[str, object]) -> str | None:
    batch = details.get("batch")
    return str(batch) if batch else None
