"""The files a disclosure office downloads for a year: the two reports as CSV, and one PDF of both.

The figures come from :mod:`custos.accounting.reports`, which computes them from
ledger entries; this module only lays them out, so a file and the console page
always say the same thing.  The CSV files are read by people in spreadsheets:
every text cell goes through :func:`~custos.intake.spreadsheet.neutralize_formula`
(a purpose statement or an agency code starting with ``=`` must stay text), and
purposes join with ``" | "`` because a purpose itself may contain ``;`` (agreement
ids and versions, which cannot, join with ``;``).  The PDF carries the due date,
both tables and a chart per agency, each chart followed by its figures as a table
so nothing is only in a picture.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence

from custos.accounting.reports import (
    MONTH_LABELS,
    AgencyFigures,
    AgreementSummary,
    JctSummary,
    MonthActivity,
    PublicReport,
)
from custos.console.pdf import A4, Flow, PageSize, PdfDocument
from custos.intake.spreadsheet import neutralize_formula

PUBLIC_COLUMNS = (
    "year", "agency", "requests", "records", "disclosures", "taxpayers", "general_purposes", "agreements",
    "due_date",
)  # fmt: skip
JCT_COLUMNS = (
    "year", "agency", "agreement_id", "agreement_versions", "requests", "records", "confirmed",
    "not_confirmed", "pending_review", "rejected", "blocked", "disclosures", "taxpayers", "legal_holds_set",
    "legal_holds_released", "first_request", "last_request",
)  # fmt: skip
ACTIVITY_SERIES = ("Requests", "Disclosures", "Rejections", "Holds")
PURPOSE_SEPARATOR = " | "

Cell = str | int | dt.date | None


def _cell(value: Cell) -> str:
    """A CSV cell: numbers as digits, dates in ISO form, text neutralized, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, int | dt.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    return neutralize_formula(value)


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def public_report_csv(report: PublicReport) -> bytes:
    """The (p)(3)(C) public report, one row per agency, UTF-8 with a header row."""
    return _csv(PUBLIC_COLUMNS, [_public_row(report, row) for row in report.agencies])


def _public_row(report: PublicReport, row: AgencyFigures) -> list[Cell]:
    return [report.year, row.agency, row.requests, row.records, row.disclosures, row.taxpayers,
            PURPOSE_SEPARATOR.join(row.purposes), ";".join(row.agreements), report.due]  # fmt: skip


def jct_summary_csv(summary: JctSummary) -> bytes:
    """The (p)(3)(B) accounting summary, one row per agency and agreement, UTF-8 with a header row."""
    return _csv(JCT_COLUMNS, [_jct_row(summary.year, row) for row in summary.rows])


def _jct_row(year: int, r: AgreementSummary) -> list[Cell]:
    versions = ";".join(map(str, r.versions))
    return [year, r.agency, r.agreement_id, versions, r.requests, r.records, r.confirmed, r.not_confirmed,
            r.pending_review, r.rejected, r.blocked, r.disclosures, r.taxpayers, r.holds_set,
            r.holds_released, r.first_request, r.last_request]  # fmt: skip


def _text(value: Cell) -> str:
    """A PDF table cell: numbers with thousands separators, dates in ISO form, nothing as a dash."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return value.isoformat() if isinstance(value, dt.date) else value


def report_pdf(
    year: int,
    public: PublicReport,
    jct: JctSummary,
    activity: Mapping[str, Sequence[MonthActivity]],
    *,
    page_size: PageSize = A4,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """The year's report as a PDF: the two reports, then a page per agency of monthly figures.

    The first page has the title, the due date, the public report and the JCT summary; each agency's
    page has its chart and, under it, the same figures as a table.  Nothing varies between runs but
    ``generated_at``, which is printed only when given.
    """
    if public.year != year or jct.year != year:
        raise ValueError(f"the reports are for {public.year} and {jct.year}, not {year}")
    document = PdfDocument(page_size, title=f"Disclosure accounting report {year}", created=generated_at)
    flow = Flow(document)
    _title(flow, year, public.due, generated_at)
    _public_section(flow, public)
    _jct_section(flow, jct)
    _activity_pages(flow, year, activity)
    return document.to_bytes()


def _title(flow: Flow, year: int, due: dt.date, generated_at: dt.datetime | None) -> None:
    flow.heading(f"Disclosures under 26 U.S.C. 6103(i)(2): calendar year {year}", size=16)
    flow.paragraph(
        f"Due {due.isoformat()}: 90 days after the close of the calendar year (26 U.S.C. 6103(p)(3)(B), (C))."
    )
    flow.paragraph(
        "Every figure is computed from the entries of the tamper-evident ledger and can be recomputed "
        "from an exported ledger bundle.",
        size=9,
    )
    if generated_at is not None:
        flow.paragraph(f"Generated {generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC.", size=9)
    flow.space(6)


def _public_section(flow: Flow, public: PublicReport) -> None:
    flow.heading("Public report (26 U.S.C. 6103(p)(3)(C))", size=12)
    if not public.agencies:
        flow.paragraph(f"No requests, responses or disclosures were recorded in {public.year}.")
        return
    header = ["Agency", "Requests", "Records", "Disclosures", "Taxpayers", "General purposes of the requests"]
    rows = [_public_cells(row, "; ".join(row.purposes) or "-") for row in public.agencies]
    flow.table(header, [*rows, _public_cells(public.totals, "")], total_row=True)
    flow.paragraph(
        "A taxpayer whose information went to more than one agency counts once in the total.", size=8
    )


def _public_cells(row: AgencyFigures, purposes: str) -> list[str]:
    return [
        row.agency,
        *(_text(n) for n in (row.requests, row.records, row.disclosures, row.taxpayers)),
        purposes,
    ]


RESPONSES_HEADER = ("Agency", "Agreement", "Versions", "Requests", "Records", "Confirmed", "Not confirmed",
                    "Pending review", "Rejected", "Blocked")  # fmt: skip
DISCLOSURES_HEADER = ("Agency", "Agreement", "Disclosures", "Taxpayers", "Holds set", "Holds released",
                      "First request", "Last request")  # fmt: skip


def _jct_section(flow: Flow, jct: JctSummary) -> None:
    flow.heading("Accounting summary for the Joint Committee on Taxation (6103(p)(3)(B))", size=12)
    if not jct.rows:
        flow.paragraph(f"No requests, responses or disclosures were recorded in {jct.year}.")
    else:
        flow.paragraph("Requests and responses (records by the response they received)", size=9, bold=True)
        flow.table(RESPONSES_HEADER, [_responses_cells(row) for row in jct.rows])
        flow.paragraph("Disclosures, legal holds and dates", size=9, bold=True)
        flow.table(DISCLOSURES_HEADER, [_disclosures_cells(row) for row in jct.rows])
    flow.paragraph(
        f"Legal holds changed in {jct.year}: {jct.holds_set} set, {jct.holds_released} released. In the rows "
        "above an agreement counts its own holds and every global hold.",
        size=9,
    )


def _responses_cells(r: AgreementSummary) -> list[str]:
    figures = (r.requests, r.records, r.confirmed, r.not_confirmed, r.pending_review, r.rejected, r.blocked)
    return [r.agency, r.agreement_id, ", ".join(map(str, r.versions)) or "-", *map(_text, figures)]


def _disclosures_cells(r: AgreementSummary) -> list[str]:
    figures = (r.disclosures, r.taxpayers, r.holds_set, r.holds_released, r.first_request, r.last_request)
    return [r.agency, r.agreement_id, *map(_text, figures)]


def _activity_pages(flow: Flow, year: int, activity: Mapping[str, Sequence[MonthActivity]]) -> None:
    for agency, months in activity.items():
        flow.page_break()
        flow.heading(f"Monthly activity: {agency}, {year}", size=12)
        series = _series(months)
        flow.bar_chart(
            f"{agency}: requests, disclosures, rejections and holds by month", MONTH_LABELS, series
        )
        flow.table(
            ["", *MONTH_LABELS, "Total"],
            [[name, *(_text(v) for v in values), _text(sum(values))] for name, values in series.items()],
            size=7,
        )
        flow.paragraph(
            "Rejections are records answered REJECTED_*; holds are records held for review or blocked by "
            "a legal hold, in the month they were held (a later review does not move them).",
            size=8,
        )


def _series(months: Sequence[MonthActivity]) -> dict[str, list[int]]:
    """The four series of an agency's chart, one value per month (months missing from the data are 0)."""
    by_month = {m.month: m for m in months}
    ordered = [by_month.get(number) for number in range(1, 13)]
    values = [(m.requests, m.disclosures, m.rejections, m.holds) if m else (0, 0, 0, 0) for m in ordered]
    return {name: [row[index] for row in values] for index, name in enumerate(ACTIVITY_SERIES)}
