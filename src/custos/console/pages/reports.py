"""Statutory reports (R45, R46): the 6103(p)(3)(C) public report and the JCT summary, as HTML, CSV and PDF.

Every figure is computed from the ledger's entries at the moment of the request;
the same functions run over an exported bundle, so an auditor recomputes them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup

from custos.accounting.reports import stored_purposes, year_reports
from custos.console.accounts import Session
from custos.console.charts import bar_chart_svg
from custos.console.report_files import jct_summary_csv, public_report_csv, report_pdf
from custos.console.roles import MAY_READ_REPORTS
from custos.console.web import SECURITY_HEADERS, Refused, guarded_page, render, runtime_of

router = APIRouter()
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _year(request: Request) -> int:
    text = request.query_params.get("year") or str(runtime_of(request).ledger.clock.now().year)
    if not (text.isdigit() and 2000 <= int(text) <= 2999):
        raise Refused(422, "year: a calendar year such as 2026")
    return int(text)


def _figures(request: Request, year: int) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.read() as connection:
        purposes = stored_purposes(connection)
    reports = year_reports(runtime.ledger, year, purposes)
    charts = {
        agency: Markup(bar_chart_svg(  # noqa: S704 - the chart escapes every value it prints
            f"{agency}: activity in {year}", MONTHS,
            {"Requests": [m.requests for m in months], "Disclosures": [m.disclosures for m in months],
             "Rejections": [m.rejections for m in months], "Holds": [m.holds for m in months]},
        ))
        for agency, months in reports.activity.items()
    }  # fmt: skip
    return {"year": year, "public": reports.public, "jct": reports.jct, "activity": reports.activity,
            "charts": charts, "months": MONTHS}  # fmt: skip


@router.get("/reports")
async def reports(request: Request) -> Response:
    """The year's public report, JCT summary and monthly charts per agency."""

    async def handler(request: Request, session: Session) -> Response:
        values = await run_in_threadpool(_figures, request, _year(request))
        return render(request, "reports.html", session, **values)

    return await guarded_page(request, MAY_READ_REPORTS, handler)


@router.get("/reports/{name}.{fmt}")
async def report_file(request: Request, name: str, fmt: str) -> Response:
    """The report as CSV or PDF, for filing."""

    async def handler(request: Request, session: Session) -> Response:
        year = _year(request)
        figures = await run_in_threadpool(_figures, request, year)
        if (name, fmt) == ("public", "csv"):
            data, media = public_report_csv(figures["public"]), "text/csv; charset=utf-8"
        elif (name, fmt) == ("jct", "csv"):
            data, media = jct_summary_csv(figures["jct"]), "text/csv; charset=utf-8"
        elif (name, fmt) == ("annual", "pdf"):
            data = report_pdf(year, figures["public"], figures["jct"], figures["activity"])
            media = "application/pdf"
        else:
            raise Refused(404, "reports: public.csv, jct.csv or annual.pdf")
        headers = SECURITY_HEADERS | {
            "Content-Disposition": f'attachment; filename="custos-{name}-{year}.{fmt}"'
        }
        return Response(data, media_type=media, headers=headers)

    return await guarded_page(request, MAY_READ_REPORTS, handler)
