"""Statutory reports computed from the ledger itself (R44, R45, R46).

The 6103(p)(3)(C) public report and the accounting summary count, per
calendar year and requesting agency: requests received, records, instances
of disclosure, taxpayers affected, and the records rejected, held and blocked.
They are computed from ledger entries, not from working tables, so they can
be recomputed by an auditor from an exported bundle; and there is no setting
that leaves a batch out (the "no need for a press release" email, F14).

:func:`annual_report` is the original flat table.  :func:`public_report` (the
(p)(3)(C) report), :func:`jct_summary` (the (p)(3)(B) summary to the Joint
Committee) and :func:`monthly_activity` (the console's charts) are each a thin
wrapper around a ``*_from_entries`` function over parsed entries, which an
auditor runs on :func:`bundle_entries`; :func:`year_reports` gives all three
from one reading of the ledger.  A batch's agency and agreement come
from its ``request.received`` entry; decisions and disclosures name the batch.
The one input that is not in the ledger is the text of each agreement's
purpose (see :func:`agreement_purposes`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from custos.accounting.tables import agreement_version
from custos.ledger.service import Ledger
from custos.ledger.tables import ledger_entry
from custos.policy.agreement import AgreementSpec
from custos.policy.store import get_agreement


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


# --- the (p)(3)(B) and (p)(3)(C) reports -------------------------------------------------------------
#
# Each report is a function over parsed ledger entries (``*_from_entries``), so an auditor can run it over
# an exported bundle's entries.jsonl (:func:`bundle_entries`) and get the figures the console showed; the
# functions taking a Ledger only read its entries (:func:`ledger_entries`) and call them.

Entry = Mapping[str, Any]
UNKNOWN = "UNKNOWN"  # an agency or agreement the entries do not name: counted, never dropped (R46)
GLOBAL_SCOPE = "global"
RESPONSE_FAMILIES = ("CONFIRMED", "NOT_CONFIRMED", "PENDING_REVIEW", "REJECTED", "BLOCKED")
MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PAGE = 5_000


def report_due(year: int) -> dt.date:
    """The (p)(3)(B) and (C) deadline: 90 days after the close of the calendar year."""
    return dt.date(year, 12, 31) + dt.timedelta(days=90)


def ledger_entries(ledger: Ledger) -> Iterator[dict[str, Any]]:
    """Every entry up to the head as it stood when reading began, parsed, in seq order.

    Read a page of leaves per query, not a connection per leaf: a year's report reads the whole ledger.
    """
    size = ledger.head().size
    for start in range(0, size, _PAGE):
        with ledger.database.read() as connection:
            leaves = connection.execute(
                select(ledger_entry.c.leaf)
                .where(ledger_entry.c.seq >= start, ledger_entry.c.seq < min(start + _PAGE, size))
                .order_by(ledger_entry.c.seq)
            ).scalars()
            page = [json.loads(bytes(leaf)) for leaf in leaves]
        yield from page


def bundle_entries(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of an exported bundle (its directory or its entries.jsonl), parsed, for an auditor."""
    file = path / "entries.jsonl" if path.is_dir() else path
    with file.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def response_family(response: str) -> str:
    """The report column of a response code; anything unrecognised is BLOCKED, as responses fail closed."""
    if response.startswith("REJECTED_"):
        return "REJECTED"
    return response if response in RESPONSE_FAMILIES else "BLOCKED"


@dataclass(frozen=True, slots=True)
class AgencyFigures:
    """One Federal agency's (p)(3)(C) figures for the year.

    ``purposes`` are the general purposes of its requests: one text per agreement version that its
    requests, responses or disclosures of the year came under, which ``agreements`` name as ``id@version``.
    """

    agency: str
    requests: int
    records: int
    disclosures: int
    taxpayers: int
    purposes: tuple[str, ...]
    agreements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PublicReport:
    """The (p)(3)(C) public report: per-agency figures, their totals and the date it is due.

    In ``totals`` a taxpayer whose information went to two agencies is one taxpayer.
    """

    year: int
    due: dt.date
    agencies: tuple[AgencyFigures, ...]
    totals: AgencyFigures


@dataclass(frozen=True, slots=True)
class AgreementSummary:
    """One agency's figures under one agreement, for the JCT accounting summary.

    Responses count records by their response as it stood at the close of the year, in the year of
    the decision that gave it.  Legal holds count the holds set or released in the year that stop this
    agreement: its own and the global ones.
    """

    agency: str
    agreement_id: str
    versions: tuple[int, ...]
    requests: int
    records: int
    confirmed: int
    not_confirmed: int
    pending_review: int
    rejected: int
    blocked: int
    disclosures: int
    taxpayers: int
    holds_set: int
    holds_released: int
    first_request: dt.date | None
    last_request: dt.date | None


@dataclass(frozen=True, slots=True)
class JctSummary:
    """The (p)(3)(B) accounting summary: a row per agency and agreement, and every hold change once."""

    year: int
    due: dt.date
    rows: tuple[AgreementSummary, ...]
    holds_set: int
    holds_released: int


@dataclass(frozen=True, slots=True)
class MonthActivity:
    """One agency's activity in one month: requests received, disclosures, records rejected or held.

    See :func:`monthly_activity_from_entries` for when a record counts as rejected or held.
    """

    month: int  # 1-12
    requests: int
    disclosures: int
    rejections: int
    holds: int

    @property
    def label(self) -> str:
        """The month's short English name."""
        return MONTH_LABELS[self.month - 1]


@dataclass(frozen=True, slots=True)
class _Batch:
    """Who asked, under what: taken from a batch's ``request.received`` entry."""

    agency: str
    agreement_id: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class _Decision:
    order: tuple[str, int]  # (recorded_at, seq): the latest decision of a record wins
    batch: str
    response: str
    code: str
    recorded_at: str


ACTIVITY = ("requests", "disclosures", "rejections", "holds")  # the fields of MonthActivity after month


def _by_month() -> dict[str, list[int]]:
    return {kind: [0] * 12 for kind in ACTIVITY}


@dataclass
class _Figures:
    """Counts for one agency and agreement, filled while reading the entries."""

    requests: int = 0
    records: int = 0
    versions: set[int] = field(default_factory=set)
    first: str | None = None
    last: str | None = None
    responses: Counter[str] = field(default_factory=Counter)
    disclosures: int = 0
    taxpayers: set[str] = field(default_factory=set)
    by_month: dict[str, list[int]] = field(default_factory=_by_month)


@dataclass
class _Year:
    """Everything the three reports need about one year, from one pass over the entries."""

    year: int
    figures: defaultdict[tuple[str, str], _Figures] = field(default_factory=lambda: defaultdict(_Figures))
    holds: list[tuple[str, str]] = field(default_factory=list)  # (action, scope) of each change

    def of(self, batch: _Batch) -> _Figures:
        """The figures a batch's activity counts in, noting the agreement version it came under."""
        figures = self.figures[batch.agency, batch.agreement_id]
        if batch.version is not None:
            figures.versions.add(batch.version)
        return figures


def _in_year(entry: Entry, year: int) -> bool:
    return str(entry["recorded_at"]).startswith(f"{year:04d}-")


def _month(recorded_at: str) -> int:
    return int(recorded_at[5:7])


def _read_year(entries: Iterable[Entry], year: int) -> _Year:
    """Tally one year; batches are joined to their agency after reading, so order does not matter."""
    batches: dict[str, _Batch] = {}
    disclosures: list[Entry] = []
    latest: dict[str, _Decision] = {}  # case -> its response as it stands at the close of the year
    made: list[_Decision] = []  # every decision of the year, for the months
    tally = _Year(year)
    for entry in entries:
        kind, details = entry["event_type"], entry["details"]
        if kind == "request.received":
            batch = _received_batch(details)
            batches[str(entry["object"]["id"])] = batch
            if _in_year(entry, year):
                _count_request(tally.of(batch), entry)
        elif kind == "disclosure.made" and _in_year(entry, year):
            disclosures.append(entry)
        elif kind == "decision.made" and str(entry["recorded_at"])[:4] <= f"{year:04d}":
            decision = _keep_latest(latest, entry)
            if _in_year(entry, year):
                made.append(decision)
        elif kind == "hold.changed" and _in_year(entry, year):
            tally.holds.append((str(entry["action"]), str(details.get("scope") or GLOBAL_SCOPE)))
    for entry in disclosures:
        _count_disclosure(tally, batches, entry)
    unknown = _Batch(UNKNOWN, UNKNOWN)
    for decision in latest.values():
        if decision.recorded_at.startswith(f"{year:04d}-"):
            tally.of(batches.get(decision.batch, unknown)).responses[response_family(decision.response)] += 1
    for decision in made:
        _count_month(tally.of(batches.get(decision.batch, unknown)), decision)
    return tally


def _received_batch(details: Mapping[str, Any]) -> _Batch:
    version = details.get("agreement_version")
    return _Batch(str(details.get("requester_code") or UNKNOWN), str(details.get("agreement_id") or UNKNOWN),
                  None if version is None else int(version))  # fmt: skip


def _count_request(figures: _Figures, entry: Entry) -> None:
    details, day = entry["details"], str(entry["recorded_at"])[:10]
    figures.requests += 1
    figures.records += int(details.get("record_count") or 0)
    figures.first = min(figures.first or day, day)
    figures.last = max(figures.last or day, day)
    figures.by_month["requests"][_month(entry["recorded_at"]) - 1] += 1


def _count_disclosure(tally: _Year, batches: Mapping[str, _Batch], entry: Entry) -> None:
    """A disclosure counts for its batch's agency; without the batch, for the agency it names."""
    details = entry["details"]
    named = _Batch(str(details.get("recipient_agency") or UNKNOWN), str(details.get("agreement") or UNKNOWN))
    figures = tally.of(batches.get(str(details.get("batch")), named))
    figures.disclosures += 1
    if details.get("taxpayer_key") is not None:
        figures.taxpayers.add(str(details["taxpayer_key"]))
    figures.by_month["disclosures"][_month(entry["recorded_at"]) - 1] += 1


def _keep_latest(latest: dict[str, _Decision], entry: Entry) -> _Decision:
    """Note a decision; a record decided again keeps only its latest response.

    A reviewer's decision (R65) and the (i)(6) screen at release (R25) decide a record again.
    """
    details, recorded_at = entry["details"], str(entry["recorded_at"])
    case = str(details.get("case") or entry["object"]["id"])
    decision = _Decision((recorded_at, int(entry["seq"])), str(details.get("batch")),
                         str(details.get("response") or "BLOCKED"), str(details.get("code") or ""),
                         recorded_at)  # fmt: skip
    if case not in latest or latest[case].order < decision.order:
        latest[case] = decision
    return decision


def _count_month(figures: _Figures, decision: _Decision) -> None:
    """Count a decision that rejected or held a record in its month, whatever came of the record later."""
    month = _month(decision.recorded_at) - 1
    if response_family(decision.response) == "REJECTED":
        figures.by_month["rejections"][month] += 1
    if decision.response == "PENDING_REVIEW" or decision.code == "BLOCKED_LEGAL_HOLD":
        figures.by_month["holds"][month] += 1


# --- public report -------------------------------------------------------------------------------------


def agreement_purposes(specs: Iterable[AgreementSpec]) -> dict[str, str]:
    """The general purpose of each agreement version, keyed ``id@version``, for :func:`public_report`.

    The ledger records which agreement version each request came under (and its digest), but not the
    agreement's text: ``policy.changed`` entries carry the id, version and digest only.  So the purposes
    come from the agreement store, whose content those digests pin down.
    """
    purposes = {}
    for spec in specs:
        statement = spec.purpose.statement.rstrip(".") + ". " if spec.purpose else ""
        text = f"{statement}Statutes: {'; '.join(spec.statutes.permitted)}."
        purposes[f"{spec.id}@{spec.version}"] = text
    return purposes


def stored_purposes(connection: Connection) -> dict[str, str]:
    """:func:`agreement_purposes` of every agreement version in the store."""
    versions = connection.execute(
        select(agreement_version.c.agreement_id, agreement_version.c.version).order_by(
            agreement_version.c.agreement_id, agreement_version.c.version
        )
    ).all()
    return agreement_purposes(get_agreement(connection, aid, version).spec for aid, version in versions)


def _purpose(purposes: Mapping[str, str], agreement_id: str, version: int | None) -> str:
    """The purpose for ``id@version``, else for the agreement id; a missing one says so, never blank."""
    key = f"{agreement_id}@{version}" if version is not None else agreement_id
    found = purposes.get(key) or purposes.get(agreement_id)
    return found or f"purpose not on file for agreement {key}"


def public_report(ledger: Ledger, year: int, purposes: Mapping[str, str] | None = None) -> PublicReport:
    """The (p)(3)(C) public report for ``year`` from every ledger entry; see :func:`agreement_purposes`."""
    return public_report_from_entries(ledger_entries(ledger), year, purposes)


def public_report_from_entries(
    entries: Iterable[Entry], year: int, purposes: Mapping[str, str] | None = None
) -> PublicReport:
    """Per Federal agency: requests, instances of disclosure, taxpayers and the general purposes.

    Every agency that requested, was answered or received a disclosure in the year is listed, with
    zeros where nothing happened; there is no way to leave one out (R46).
    """
    return _public(_read_year(entries, year), purposes or {})


def _public(tally: _Year, purposes: Mapping[str, str]) -> PublicReport:
    by_agency: defaultdict[str, list[tuple[str, _Figures]]] = defaultdict(list)
    for (agency, agreement_id), figures in sorted(tally.figures.items()):
        by_agency[agency].append((agreement_id, figures))
    rows = tuple(_agency_row(agency, parts, purposes) for agency, parts in sorted(by_agency.items()))
    everyone = [figures for parts in by_agency.values() for _, figures in parts]
    totals = AgencyFigures(
        "All agencies", sum(row.requests for row in rows), sum(row.records for row in rows),
        sum(row.disclosures for row in rows), len(set().union(*(f.taxpayers for f in everyone))),
        tuple(sorted({p for row in rows for p in row.purposes})),
        tuple(sorted({a for row in rows for a in row.agreements})),
    )  # fmt: skip
    return PublicReport(tally.year, report_due(tally.year), rows, totals)


def _agency_row(agency: str, parts: list[tuple[str, _Figures]], purposes: Mapping[str, str]) -> AgencyFigures:
    used = sorted({(aid, version) for aid, figures in parts for version in figures.versions})
    return AgencyFigures(
        agency,
        requests=sum(figures.requests for _, figures in parts),
        records=sum(figures.records for _, figures in parts),
        disclosures=sum(figures.disclosures for _, figures in parts),
        taxpayers=len(set().union(*(figures.taxpayers for _, figures in parts))),
        purposes=tuple(sorted({_purpose(purposes, aid, version) for aid, version in used})),
        agreements=tuple(f"{aid}@{version}" for aid, version in used),
    )


# --- JCT accounting summary ----------------------------------------------------------------------------


def jct_summary(ledger: Ledger, year: int) -> JctSummary:
    """The (p)(3)(B) accounting summary for ``year`` from every ledger entry."""
    return jct_summary_from_entries(ledger_entries(ledger), year)


def jct_summary_from_entries(entries: Iterable[Entry], year: int) -> JctSummary:
    """Per agency and agreement: requests, records, responses by family, disclosures, taxpayers, holds."""
    return _jct(_read_year(entries, year))


def _jct(tally: _Year) -> JctSummary:
    rows = tuple(_summary_row(key, figures, tally.holds) for key, figures in sorted(tally.figures.items()))
    actions = Counter(action for action, _ in tally.holds)
    return JctSummary(tally.year, report_due(tally.year), rows, actions["hold.set"], actions["hold.release"])


def _summary_row(key: tuple[str, str], figures: _Figures, holds: list[tuple[str, str]]) -> AgreementSummary:
    agency, agreement_id = key
    applies = Counter(action for action, scope in holds if scope in {agreement_id, GLOBAL_SCOPE})
    responses = figures.responses
    return AgreementSummary(
        agency, agreement_id, tuple(sorted(figures.versions)), figures.requests, figures.records,
        responses["CONFIRMED"], responses["NOT_CONFIRMED"], responses["PENDING_REVIEW"],
        responses["REJECTED"], responses["BLOCKED"], figures.disclosures, len(figures.taxpayers),
        applies["hold.set"], applies["hold.release"], _date(figures.first), _date(figures.last),
    )  # fmt: skip


def _date(day: str | None) -> dt.date | None:
    return dt.date.fromisoformat(day) if day else None


# --- monthly activity ----------------------------------------------------------------------------------


def monthly_activity(ledger: Ledger, year: int) -> dict[str, list[MonthActivity]]:
    """Twelve months of activity per agency for ``year``, from every ledger entry."""
    return monthly_activity_from_entries(ledger_entries(ledger), year)


def monthly_activity_from_entries(entries: Iterable[Entry], year: int) -> dict[str, list[MonthActivity]]:
    """Per agency and month: requests, disclosures, records rejected, records held.

    Rejections and holds count the decisions made in the month that rejected or held a record (its
    response REJECTED_*, PENDING_REVIEW, or a legal hold's block): a record held in March and decided by
    a reviewer in April was held in March, though the JCT summary counts its final response.
    """
    return _activity(_read_year(entries, year))


def _activity(tally: _Year) -> dict[str, list[MonthActivity]]:
    months: defaultdict[str, dict[str, list[int]]] = defaultdict(_by_month)
    for (agency, _), figures in tally.figures.items():
        for kind, counts in figures.by_month.items():
            months[agency][kind] = [a + b for a, b in zip(months[agency][kind], counts, strict=True)]
    return {agency: _months(counts) for agency, counts in sorted(months.items())}


def _months(counts: Mapping[str, list[int]]) -> list[MonthActivity]:
    return [MonthActivity(month + 1, *(counts[kind][month] for kind in ACTIVITY)) for month in range(12)]


# --- all three at once ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YearReports:
    """The public report, the JCT summary and the monthly activity of one year, from one reading."""

    public: PublicReport
    jct: JctSummary
    activity: dict[str, list[MonthActivity]]


def year_reports(ledger: Ledger, year: int, purposes: Mapping[str, str] | None = None) -> YearReports:
    """The three reports of ``year`` reading the ledger once, not three times, for a page that shows all."""
    return year_reports_from_entries(ledger_entries(ledger), year, purposes)


def year_reports_from_entries(
    entries: Iterable[Entry], year: int, purposes: Mapping[str, str] | None = None
) -> YearReports:
    """The three ``*_from_entries`` reports from one pass over ``entries``."""
    tally = _read_year(entries, year)
    return YearReports(_public(tally, purposes or {}), _jct(tally), _activity(tally))
