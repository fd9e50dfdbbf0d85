"""The downloadable report files: CSV columns and neutralized text, a PDF that carries the figures."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from tests import backend
from tests.unit.accounting.test_reports import CBP, CBP_PURPOSE, DHS, Scenario, build_scenario

from custos.accounting.reports import (
    MONTH_LABELS,
    AgencyFigures,
    AgreementSummary,
    JctSummary,
    MonthActivity,
    PublicReport,
    jct_summary,
    monthly_activity,
    public_report,
    report_due,
    stored_purposes,
)
from custos.console.pdf import LETTER
from custos.console.report_files import (
    JCT_COLUMNS,
    PUBLIC_COLUMNS,
    jct_summary_csv,
    public_report_csv,
    report_pdf,
)


@dataclasses.dataclass(frozen=True)
class Reports:
    year: int
    public: PublicReport
    jct: JctSummary
    activity: dict[str, list[MonthActivity]]


@pytest.fixture(scope="module")
def reports(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    """The reports of a real ledger after a scripted year (see tests/unit/accounting/test_reports.py)."""
    with backend.keeping():
        scenario: Scenario = build_scenario(demo_template, tmp_path_factory.mktemp("report-files"))
    ledger, year = scenario.demo.ledger, scenario.year
    with scenario.demo.runtime.database.read() as connection:
        purposes = stored_purposes(connection)
    yield Reports(
        year, public_report(ledger, year, purposes), jct_summary(ledger, year), monthly_activity(ledger, year)
    )
    scenario.demo.close()


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data), strict=True).pages]


# --- CSV ----------------------------------------------------------------------------------------------------


def test_public_csv_has_the_columns_and_a_row_per_agency(reports: Reports) -> None:
    data = public_report_csv(reports.public)
    assert data.decode("utf-8").splitlines()[0] == ",".join(PUBLIC_COLUMNS)
    rows = rows_of(data)
    assert (
        [row["agency"] for row in rows] == [a.agency for a in reports.public.agencies] == sorted([CBP, DHS])
    )
    for row, agency in zip(rows, reports.public.agencies, strict=True):
        assert (int(row["requests"]), int(row["records"]), int(row["disclosures"]), int(row["taxpayers"])) == (
            agency.requests, agency.records, agency.disclosures, agency.taxpayers,
        )  # fmt: skip
        assert row["year"] == str(reports.year)
        assert row["due_date"] == report_due(reports.year).isoformat()
        assert row["agreements"] == ";".join(agency.agreements)


def test_a_purpose_that_looks_like_a_formula_stays_text(reports: Reports) -> None:
    rows = {row["agency"]: row for row in rows_of(public_report_csv(reports.public))}
    assert CBP_PURPOSE.startswith("=")
    assert rows[CBP]["general_purposes"].startswith("'" + CBP_PURPOSE)
    assert not rows[DHS]["general_purposes"].startswith("'")


def test_jct_csv_has_the_columns_and_a_row_per_agency_and_agreement(reports: Reports) -> None:
    data = jct_summary_csv(reports.jct)
    rows = rows_of(data)
    assert tuple(rows[0]) == JCT_COLUMNS
    assert len(rows) == len(reports.jct.rows) == 2
    for row, summary in zip(rows, reports.jct.rows, strict=True):
        for column, field in (
            ("agency", "agency"),
            ("agreement_id", "agreement_id"),
            ("legal_holds_set", "holds_set"),
            ("legal_holds_released", "holds_released"),
        ):
            assert row[column] == str(getattr(summary, field))
        for column in (
            "requests",
            "records",
            "confirmed",
            "not_confirmed",
            "pending_review",
            "rejected",
            "blocked",
            "disclosures",
            "taxpayers",
        ):
            assert row[column] == str(getattr(summary, column))
        assert row["first_request"] == str(summary.first_request)
        assert row["agreement_versions"] == ";".join(map(str, summary.versions))  # fmt: skip


def test_every_text_cell_of_the_jct_csv_is_neutralized_and_empty_dates_are_empty() -> None:
    row = AgreementSummary("@SUM(A1)", "-1+2", (1,), 1, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, None, None)
    summary = JctSummary(2031, report_due(2031), (row,), 0, 0)
    (parsed,) = rows_of(jct_summary_csv(summary))
    assert (parsed["agency"], parsed["agreement_id"]) == ("'@SUM(A1)", "'-1+2")
    assert (parsed["first_request"], parsed["last_request"]) == ("", "")
    assert parsed["records"] == "2"


def test_csv_is_utf8() -> None:
    agency = AgencyFigures("AG-1", 1, 1, 0, 0, ("Serve process under § 1253 — “specific” cases",), ("A@1",))
    report = PublicReport(2031, report_due(2031), (agency,), agency)
    (row,) = rows_of(public_report_csv(report))
    assert row["general_purposes"] == "Serve process under § 1253 — “specific” cases"


# --- PDF ----------------------------------------------------------------------------------------------------


def test_the_pdf_has_a_report_page_and_a_page_per_agency(reports: Reports) -> None:
    data = report_pdf(reports.year, reports.public, reports.jct, reports.activity)
    pages = pdf_text(data)
    assert len(pages) == 1 + len(reports.activity) == 3
    first = pages[0]
    assert f"calendar year {reports.year}" in first
    assert f"Due {report_due(reports.year).isoformat()}" in first
    for agency in reports.public.agencies:
        assert (
            f"{agency.agency} {agency.requests} {agency.records} {agency.disclosures} {agency.taxpayers}"
            in first
        )
    totals = reports.public.totals
    assert f"All agencies {totals.requests} {totals.records} {totals.disclosures} {totals.taxpayers}" in first
    for row in reports.jct.rows:
        figures = (row.requests, row.records, row.confirmed, row.not_confirmed, row.pending_review, row.rejected,
                   row.blocked)  # fmt: skip
        assert " ".join(map(str, figures)) in first.replace("\n", " ")
        assert (
            f"{row.disclosures} {row.taxpayers} {row.holds_set} {row.holds_released} {row.first_request}"
            in first
        )
    for page, (agency, months) in zip(pages[1:], reports.activity.items(), strict=True):
        assert f"Monthly activity: {agency}, {reports.year}" in page
        requests = [m.requests for m in months]
        assert "Requests " + " ".join(map(str, requests)) + f" {sum(requests)}" in page


def test_the_pdf_is_repeatable_and_prints_a_generation_time_only_when_given(reports: Reports) -> None:
    arguments = (reports.year, reports.public, reports.jct, reports.activity)
    assert report_pdf(*arguments) == report_pdf(*arguments)
    moment = dt.datetime(reports.year + 1, 1, 5, 9, 30, tzinfo=dt.UTC)
    dated = report_pdf(*arguments, page_size=LETTER, generated_at=moment)
    assert f"Generated {reports.year + 1}-01-05 09:30 UTC" in pdf_text(dated)[0]
    assert "Generated" not in pdf_text(report_pdf(*arguments))[0]
    assert pypdf.PdfReader(io.BytesIO(dated)).pages[0].mediabox.width == 612


def test_many_agencies_spill_over_pages_and_none_is_lost() -> None:
    agencies = tuple(
        AgencyFigures(
            f"AG-{n:02d}", n, n * 10, n // 2, n // 3, (f"Purpose of agency {n} " * 8,), (f"A{n}@1",)
        )
        for n in range(40)
    )
    public = PublicReport(2031, report_due(2031), agencies, AgencyFigures("All agencies", 1, 1, 1, 1, (), ()))
    jct = JctSummary(2031, report_due(2031), (), 0, 0)
    pages = pdf_text(report_pdf(2031, public, jct, {}))
    assert len(pages) > 1
    joined = "\n".join(pages)
    assert all(f"AG-{n:02d} {n} {n * 10:,} {n // 2} {n // 3}" in joined for n in range(40))
    assert all("Agency Requests Records Disclosures Taxpayers" in page for page in pages[:-1])


def test_a_year_without_activity_says_so() -> None:
    public = PublicReport(2031, report_due(2031), (), AgencyFigures("All agencies", 0, 0, 0, 0, (), ()))
    jct = JctSummary(2031, report_due(2031), (), 0, 0)
    (page,) = pdf_text(report_pdf(2031, public, jct, {}))
    assert "No requests, responses or disclosures were recorded in 2031." in page


def test_reports_of_another_year_are_refused(reports: Reports) -> None:
    with pytest.raises(ValueError, match=f"not {reports.year + 1}"):
        report_pdf(reports.year + 1, reports.public, reports.jct, reports.activity)


def test_a_partial_month_list_is_drawn_with_zeros() -> None:
    public = PublicReport(2031, report_due(2031), (), AgencyFigures("All agencies", 0, 0, 0, 0, (), ()))
    jct = JctSummary(2031, report_due(2031), (), 0, 0)
    pages = pdf_text(report_pdf(2031, public, jct, {"AG-1": [MonthActivity(3, 5, 2, 1, 0)]}))
    assert "Requests 0 0 5 0 0 0 0 0 0 0 0 0 5" in pages[1]
    assert " ".join(MONTH_LABELS) in pages[1]
