"""The (p)(3) reports: figures from a real ledger equal counts recomputed from its raw leaves.

One installation is driven through a year with the real pipeline: two agencies, batches confirmed and
released, rejected, held by a court order, and a batch received in December but released in January.
Each test recomputes what it checks from the leaves itself, with its own code, and compares.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests import backend
from tests.unit.accounting.harness import OPERATOR, Harness, activate_variant, fresh

from custos.accounting import reports
from custos.accounting.release import Approval, approve_and_release
from custos.accounting.reports import (
    agreement_purposes,
    annual_report,
    bundle_entries,
    jct_summary,
    jct_summary_from_entries,
    ledger_entries,
    monthly_activity,
    monthly_activity_from_entries,
    public_report,
    public_report_from_entries,
    report_due,
    stored_purposes,
    year_reports,
)
from custos.demo_setup import DEMO_AGREEMENT
from custos.ledger.events import Actor, ActorKind
from custos.ledger.export import export_bundle
from custos.policy.agreement import parse_agreement
from custos.policy.store import CourtOrder, release_hold, set_hold
from custos.testing import FixedClock

DHS, CBP = "DEMO-DHS", "DEMO-CBP"
CBP_AGREEMENT = "DEMO-CBP-2027"
CBP_PURPOSE = "=Locate witnesses in specific smuggling investigations"
APPROVAL = Approval(OPERATOR, "Disclosure Manager", "DO 11-2 (demo)")
ORDER = CourtOrder("D.D.C.", "No. 1:25-cv-00457", dt.date(2025, 11, 21))
RELEASERS = (Actor(ActorKind.OPERATOR, "counsel-1"), Actor(ActorKind.OPERATOR, "counsel-2"))


@dataclass
class Scenario:
    """The installation after a scripted year, and what the script knows it did."""

    demo: Harness
    year: int
    entries: list[dict[str, Any]]
    bundle: Path
    batches: dict[str, str]  # script name -> batch id


def _wide_term(text: str, year: int) -> str:
    """The agreement text with a term covering today and the scenario's two years."""
    text = re.sub(r"(?m)^start = .*$", f"start = {year - 2}-01-01", text, count=1)
    text = re.sub(r"(?m)^end = .*$", f"end = {year + 3}-12-31", text, count=1)
    return re.sub(r"(?m)^review_by = .*$", f"review_by = {year + 3}-06-30", text, count=1)


def _second_agency(text: str) -> str:
    text = text.replace(f'id = "{DEMO_AGREEMENT}"', f'id = "{CBP_AGREEMENT}"', 1)
    text = text.replace(f'requester_code = "{DHS}"', f'requester_code = "{CBP}"', 1)
    return re.sub(r'(?m)^statement = ".*"$', f'statement = "{CBP_PURPOSE}"', text, count=1)


def build_scenario(template: Path, directory: Path) -> Scenario:
    """A year of the real pipeline, a year ahead of today so every date is the script's."""
    demo = Harness(template, directory / "data")
    year = dt.datetime.now(dt.UTC).year + 1
    clock = FixedClock(dt.datetime(year, 2, 10, 9, 0, tzinfo=dt.UTC))
    demo.runtime.ledger.clock = clock

    def at(month: int, day: int, year_: int = year) -> None:
        clock.current = dt.datetime(year_, month, day, 9, 0, tzinfo=dt.UTC)

    def submit(rows: list[dict[str, str]], **sign: Any) -> str:
        path = demo.write(rows)
        envelope = demo.sign(path, created=clock.now(), **sign)
        return demo.pipeline.submit(path, envelope).batch_id

    text = (directory / "data" / "demo" / "agreement.toml").read_text()
    activate_variant(demo, _wide_term(text, year), version=2)
    activate_variant(demo, _second_agency(_wide_term(text, year)), version=1)
    exact = demo.confirmable(8)
    held = [demo.rows_of("twins_similar_names", 1)[0], demo.rows_of("namesake_same_address", 1)[0]]
    batches = {}
    at(3, 2)  # three confirmations (two of one taxpayer), a record for review
    rows = [fresh(exact[0], "A", 1), fresh(exact[1], "A", 2), fresh(exact[0], "A", 3), fresh(held[0], "A", 4)]
    batches["A"] = submit(rows, agreement_version=2)
    at(4, 15)  # a reviewer closes the held record, then the batch is released
    assert len(demo.review_all(batches["A"])) == 1
    approve_and_release(demo.ledger, batches["A"], APPROVAL)
    at(5, 5)  # every record without an address: the whole batch is rejected
    no_address = {"address_line1": "", "city": "", "state": "", "zip": ""}
    batches["R"] = submit([fresh(exact[2], "R", n, **no_address) for n in (1, 2)], agreement_version=2)
    at(6, 1)  # the second agency asks and is never answered with a disclosure
    batches["C"] = submit([fresh(exact[3], "C", 1), fresh(exact[4], "C", 2)], agreement_id=CBP_AGREEMENT)
    at(7, 1)  # a court order stops the demo agreement, then is lifted
    with demo.ledger.transaction() as tx:
        hold = set_hold(tx, DEMO_AGREEMENT, ORDER, OPERATOR)
    batches["H"] = submit([fresh(exact[5], "H", 1), fresh(exact[6], "H", 2)], agreement_version=2)
    at(7, 20)
    with demo.ledger.transaction() as tx:
        release_hold(tx, hold, RELEASERS)
    at(8, 1)  # a global hold, set and released
    with demo.ledger.transaction() as tx:
        release_hold(tx, set_hold(tx, "global", ORDER, OPERATOR), RELEASERS)
    at(12, 20)  # received in December, its held record reviewed and the batch released in January
    rows = [fresh(exact[7], "D", 1), fresh(exact[0], "D", 2), fresh(held[1], "D", 3)]
    batches["D"] = submit(rows, agreement_version=2)
    at(1, 10, year + 1)
    assert len(demo.review_all(batches["D"])) == 1
    approve_and_release(demo.ledger, batches["D"], APPROVAL)
    at(1, 12, year + 1)
    batches["E"] = submit([fresh(exact[1], "E", 1)], agreement_version=2)
    export_bundle(demo.ledger, directory / "bundle", OPERATOR)
    return Scenario(demo, year, demo.entries(), directory / "bundle", batches)


@pytest.fixture(scope="module")
def scenario(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with backend.keeping():
        built = build_scenario(demo_template, tmp_path_factory.mktemp("reports"))
    yield built
    built.demo.close()


# --- independent recounts from the raw leaves --------------------------------------------------------------


def _of_year(entries: list[dict[str, Any]], kind: str, year: int) -> list[dict[str, Any]]:
    return [e for e in entries if e["event_type"] == kind and e["recorded_at"][:4] == str(year)]


def _agency_of_batch(entries: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["object"]["id"]: e["details"]["requester_code"]
        for e in entries
        if e["event_type"] == "request.received"
    }


def recount_public(entries: list[dict[str, Any]], year: int) -> dict[str, tuple[int, int, int, int]]:
    """agency -> (requests, records, disclosures, distinct taxpayers), straight from the leaves."""
    agency_of = _agency_of_batch(entries)
    requests: Counter[str] = Counter()
    records: Counter[str] = Counter()
    for e in _of_year(entries, "request.received", year):
        requests[e["details"]["requester_code"]] += 1
        records[e["details"]["requester_code"]] += e["details"]["record_count"]
    disclosed: defaultdict[str, list[int]] = defaultdict(list)
    for e in _of_year(entries, "disclosure.made", year):
        disclosed[agency_of[e["details"]["batch"]]].append(e["details"]["taxpayer_key"])
    agencies = set(requests) | set(disclosed)
    return {a: (requests[a], records[a], len(disclosed[a]), len(set(disclosed[a]))) for a in agencies}


def recount_responses(entries: list[dict[str, Any]], year: int) -> dict[str, Counter[str]]:
    """agency -> records by response family, each case by its last decision up to the year's end."""
    agency_of = _agency_of_batch(entries)
    last: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e["event_type"] == "decision.made" and int(e["recorded_at"][:4]) <= year:
            last[e["details"]["case"]] = e
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for e in last.values():
        if e["recorded_at"][:4] == str(year):
            response = e["details"]["response"]
            counts[agency_of[e["details"]["batch"]]][
                "REJECTED" if response.startswith("REJECTED_") else response
            ] += 1
    return counts


# --- the public report ------------------------------------------------------------------------------------


def test_public_report_equals_a_recount_of_the_leaves(scenario: Scenario) -> None:
    report = public_report(scenario.demo.ledger, scenario.year)
    got = {a.agency: (a.requests, a.records, a.disclosures, a.taxpayers) for a in report.agencies}
    assert got == recount_public(scenario.entries, scenario.year)
    assert got[DHS] == (4, 11, 3, 2)  # batches A, R, H, D; A's three confirmations are of two taxpayers


def test_an_agency_without_disclosures_still_appears_with_its_requests(scenario: Scenario) -> None:
    report = public_report(scenario.demo.ledger, scenario.year)
    cbp = next(a for a in report.agencies if a.agency == CBP)
    assert (cbp.requests, cbp.records, cbp.disclosures, cbp.taxpayers) == (1, 2, 0, 0)
    assert CBP not in {
        e["details"]["recipient_agency"] for e in scenario.entries if e["event_type"] == "disclosure.made"
    }


def test_a_disclosure_in_another_year_counts_in_that_year_only(scenario: Scenario) -> None:
    """Batch D was received in December and released in January: its request is this year's, its disclosures next year's."""
    this, following = (public_report(scenario.demo.ledger, y) for y in (scenario.year, scenario.year + 1))
    january = _of_year(scenario.entries, "disclosure.made", scenario.year + 1)
    assert {e["details"]["batch"] for e in january} == {scenario.batches["D"]}
    dhs_this = next(a for a in this.agencies if a.agency == DHS)
    dhs_next = next(a for a in following.agencies if a.agency == DHS)
    assert dhs_this.disclosures == len(_of_year(scenario.entries, "disclosure.made", scenario.year)) == 3
    assert (dhs_next.requests, dhs_next.disclosures) == (1, len(january)) == (1, 2)
    assert public_report(scenario.demo.ledger, scenario.year - 3).agencies == ()


def test_taxpayers_are_distinct_within_an_agency_and_across_agencies(scenario: Scenario) -> None:
    report = public_report(scenario.demo.ledger, scenario.year)
    keys = [
        e["details"]["taxpayer_key"] for e in _of_year(scenario.entries, "disclosure.made", scenario.year)
    ]
    assert len(keys) > len(set(keys))  # the scenario discloses one taxpayer twice
    assert report.totals.taxpayers == len(set(keys))
    assert report.totals.disclosures == len(keys)
    assert report.totals.requests == sum(a.requests for a in report.agencies)


def test_purposes_come_from_the_agreement_store_and_a_missing_one_says_so(scenario: Scenario) -> None:
    with scenario.demo.runtime.database.read() as connection:
        purposes = stored_purposes(connection)
    report = public_report(scenario.demo.ledger, scenario.year, purposes)
    by_agency = {a.agency: a for a in report.agencies}
    assert by_agency[DHS].agreements == (f"{DEMO_AGREEMENT}@2",)
    assert by_agency[CBP].agreements == (f"{CBP_AGREEMENT}@1",)
    text = (scenario.demo.directory / "demo" / "agreement.toml").read_text()
    statement = tomllib.loads(text)["purpose"]["statement"]
    assert by_agency[DHS].purposes == (f"{statement.rstrip('.')}. Statutes: 8 U.S.C. 1253(a)(1).",)
    assert by_agency[CBP].purposes[0].startswith(CBP_PURPOSE)
    bare = public_report(scenario.demo.ledger, scenario.year)
    assert {a.agency: a.purposes for a in bare.agencies}[CBP] == (
        f"purpose not on file for agreement {CBP_AGREEMENT}@1",
    )


def test_an_agreement_without_a_purpose_statement_gives_its_statutes(scenario: Scenario) -> None:
    text = (scenario.demo.directory / "demo" / "agreement.toml").read_text()
    spec = parse_agreement(tomllib.loads(re.sub(r"\[purpose\]\n(.+\n)*", "", text)))
    assert spec.purpose is None
    assert agreement_purposes([spec]) == {f"{spec.id}@{spec.version}": "Statutes: 8 U.S.C. 1253(a)(1)."}


def test_the_report_is_due_ninety_days_after_the_close_of_the_year(scenario: Scenario) -> None:
    assert report_due(2026) == dt.date(2027, 3, 31)
    assert report_due(2027) == dt.date(2028, 3, 30)  # 2028 is a leap year
    assert public_report(scenario.demo.ledger, scenario.year).due == dt.date(
        scenario.year, 12, 31
    ) + dt.timedelta(days=90)


# --- the JCT summary --------------------------------------------------------------------------------------


def test_jct_summary_counts_responses_as_the_leaves_do(scenario: Scenario) -> None:
    summary = jct_summary(scenario.demo.ledger, scenario.year)
    recount = recount_responses(scenario.entries, scenario.year)
    for row in summary.rows:
        got = {"CONFIRMED": row.confirmed, "NOT_CONFIRMED": row.not_confirmed,
               "PENDING_REVIEW": row.pending_review, "REJECTED": row.rejected, "BLOCKED": row.blocked}  # fmt: skip
        assert {k: v for k, v in got.items() if v} == dict(recount[row.agency])
    dhs = next(r for r in summary.rows if r.agency == DHS)
    assert (dhs.rejected, dhs.blocked) == (2, 2)  # batch R; batch H under the hold
    assert dhs.confirmed + dhs.not_confirmed + dhs.pending_review + dhs.rejected + dhs.blocked == dhs.records


def test_a_record_held_at_the_close_of_the_year_is_pending_then_and_decided_the_next(
    scenario: Scenario,
) -> None:
    """Batch A's held record was reviewed in April: not confirmed.  Batch D's was held over New Year."""
    dhs, following = (
        next(r for r in jct_summary(scenario.demo.ledger, y).rows if r.agency == DHS)
        for y in (scenario.year, scenario.year + 1)
    )
    assert dhs.pending_review == 1 and following.pending_review == 0
    # next year: D's held record closed by its review, and batch E's one record, confirmed, not yet released
    assert (following.not_confirmed, following.confirmed, following.records) == (1, 1, 1)


def test_jct_summary_rows_per_agreement_with_holds_and_dates(scenario: Scenario) -> None:
    summary = jct_summary(scenario.demo.ledger, scenario.year)
    rows = {(r.agency, r.agreement_id): r for r in summary.rows}
    assert set(rows) == {(DHS, DEMO_AGREEMENT), (CBP, CBP_AGREEMENT)}
    holds = _of_year(scenario.entries, "hold.changed", scenario.year)
    actions = Counter(e["action"] for e in holds)
    assert (
        (summary.holds_set, summary.holds_released)
        == (actions["hold.set"], actions["hold.release"])
        == (2, 2)
    )
    dhs, cbp = rows[DHS, DEMO_AGREEMENT], rows[CBP, CBP_AGREEMENT]
    assert (dhs.holds_set, dhs.holds_released) == (2, 2)  # its own and the global one
    assert (cbp.holds_set, cbp.holds_released) == (1, 1)  # the global one only
    received = [
        e
        for e in _of_year(scenario.entries, "request.received", scenario.year)
        if e["details"]["requester_code"] == DHS
    ]
    assert (
        dhs.first_request
        == dt.date.fromisoformat(received[0]["recorded_at"][:10])
        == dt.date(scenario.year, 3, 2)
    )
    assert dhs.last_request == dt.date(scenario.year, 12, 20)
    assert dhs.versions == (2,) and (dhs.disclosures, dhs.taxpayers) == (3, 2)
    assert (cbp.requests, cbp.records, cbp.disclosures) == (1, 2, 0)


# --- monthly activity -------------------------------------------------------------------------------------


def test_monthly_activity_places_each_event_in_its_month(scenario: Scenario) -> None:
    activity = monthly_activity(scenario.demo.ledger, scenario.year)
    assert set(activity) == {DHS, CBP}
    dhs = activity[DHS]
    assert [m.month for m in dhs] == list(range(1, 13)) and dhs[0].label == "Jan"
    agency_of = _agency_of_batch(scenario.entries)
    for kind, field in (("request.received", "requests"), ("disclosure.made", "disclosures")):
        months = Counter(
            int(e["recorded_at"][5:7]) for e in _of_year(scenario.entries, kind, scenario.year)
            if agency_of[e["object"]["id"] if kind == "request.received" else e["details"]["batch"]] == DHS
        )  # fmt: skip
        assert {m.month: getattr(m, field) for m in dhs if getattr(m, field)} == dict(months)
    assert {m.month: m.rejections for m in dhs if m.rejections} == {5: 2}
    held = Counter(
        int(e["recorded_at"][5:7]) for e in _of_year(scenario.entries, "decision.made", scenario.year)
        if agency_of[e["details"]["batch"]] == DHS
        and (e["details"]["response"] == "PENDING_REVIEW" or e["details"]["code"] == "BLOCKED_LEGAL_HOLD")
    )  # fmt: skip
    assert {m.month: m.holds for m in dhs if m.holds} == dict(held)
    assert held[7] == 2  # batch H, blocked by the hold


# --- an auditor's recomputation ---------------------------------------------------------------------------


def test_an_exported_bundle_gives_the_same_figures(scenario: Scenario) -> None:
    entries = list(bundle_entries(scenario.bundle))
    assert entries[: len(scenario.entries)] == scenario.entries
    for year in (scenario.year, scenario.year + 1):
        assert public_report_from_entries(entries, year) == public_report(scenario.demo.ledger, year)
        assert jct_summary_from_entries(entries, year) == jct_summary(scenario.demo.ledger, year)
        assert monthly_activity_from_entries(entries, year) == monthly_activity(scenario.demo.ledger, year)


def test_one_reading_gives_the_three_reports(scenario: Scenario) -> None:
    ledger, purposes = scenario.demo.ledger, {DEMO_AGREEMENT: "Serve process"}
    for year in (scenario.year, scenario.year + 1):
        both = year_reports(ledger, year, purposes)
        assert both.public == public_report(ledger, year, purposes)
        assert both.jct == jct_summary(ledger, year)
        assert both.activity == monthly_activity(ledger, year)


def test_ledger_entries_reads_every_leaf_in_order_across_pages(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "_PAGE", 7)
    assert list(ledger_entries(scenario.demo.ledger)) == scenario.demo.entries()


def test_the_old_annual_report_is_unchanged(scenario: Scenario) -> None:
    figures = annual_report(scenario.demo.ledger, scenario.year)
    public = {a.agency: a for a in public_report(scenario.demo.ledger, scenario.year).agencies}
    for agency in (DHS, CBP):
        row = figures[agency]
        assert (row["requests"], row["records"], row["disclosures"], row["taxpayers"]) == (
            public[agency].requests, public[agency].records, public[agency].disclosures, public[agency].taxpayers,
        )  # fmt: skip


# --- the rules, on entries written by hand ----------------------------------------------------------------


def _entry(
    seq: int, kind: str, at: str, details: dict[str, Any], *, obj: str = "", action: str = ""
) -> dict[str, Any]:
    return {"seq": seq, "event_type": kind, "recorded_at": at, "action": action,
            "object": {"type": "batch", "id": obj}, "details": details}  # fmt: skip


def _hand_entries() -> list[dict[str, Any]]:
    received = {"requester_code": "AG-1", "agreement_id": "AGR", "agreement_version": 1, "record_count": 2}
    return [
        _entry(0, "request.received", "2030-12-30T10:00:00.000Z", received, obj="B1"),
        _entry(1, "decision.made", "2030-12-30T10:00:01.000Z",
               {"case": "C1", "batch": "B1", "response": "CONFIRMED", "code": "CONFIRMED"}),
        _entry(2, "decision.made", "2030-12-30T10:00:02.000Z",
               {"case": "C2", "batch": "B1", "response": "CONFIRMED", "code": "CONFIRMED"}),
        # the (i)(6) screen at release, next year, blocks C2
        _entry(3, "decision.made", "2031-01-04T10:00:00.000Z",
               {"case": "C2", "batch": "B1", "response": "BLOCKED", "code": "BLOCKED_6103I6"}),
        _entry(4, "disclosure.made", "2031-01-04T10:00:01.000Z",
               {"batch": "B1", "taxpayer_key": 7, "recipient_agency": "AG-1", "agreement": "AGR"}),
        # a decision of a batch the entries never received: counted, under UNKNOWN
        _entry(5, "decision.made", "2030-06-01T10:00:00.000Z",
               {"case": "C9", "batch": "B9", "response": "REJECTED_DUPLICATE", "code": "REJ_DUPLICATE"}),
    ]  # fmt: skip


def test_a_record_counts_by_its_response_at_the_close_of_each_year() -> None:
    entries = _hand_entries()
    rows_2030 = {r.agency: r for r in jct_summary_from_entries(entries, 2030).rows}
    rows_2031 = {r.agency: r for r in jct_summary_from_entries(entries, 2031).rows}
    assert (rows_2030["AG-1"].confirmed, rows_2030["AG-1"].blocked) == (2, 0)
    assert (rows_2031["AG-1"].confirmed, rows_2031["AG-1"].blocked, rows_2031["AG-1"].disclosures) == (
        0,
        1,
        1,
    )
    assert rows_2030["UNKNOWN"].rejected == 1


def test_the_order_of_the_entries_does_not_matter() -> None:
    entries = _hand_entries()
    for year in (2030, 2031):
        assert jct_summary_from_entries(entries[::-1], year) == jct_summary_from_entries(entries, year)
        assert public_report_from_entries(entries[::-1], year) == public_report_from_entries(entries, year)


def test_a_purpose_keyed_by_agreement_id_serves_every_version() -> None:
    report = public_report_from_entries(_hand_entries(), 2030, {"AGR": "Serve process"})
    assert {a.agency: a.purposes for a in report.agencies}["AG-1"] == ("Serve process",)
    report = public_report_from_entries(_hand_entries(), 2030, {"AGR@1": "Version one", "AGR": "Any"})
    assert {a.agency: a.purposes for a in report.agencies}["AG-1"] == ("Version one",)
