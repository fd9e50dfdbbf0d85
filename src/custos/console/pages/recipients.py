"""Recipients: safeguard status gating transmission (R37), endpoints (R38, R39), transmissions (R40, R41)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from custos.accounting.safeguards import record_safeguards, safeguards_problem
from custos.accounting.tables import agreement_version, recipient_safeguards
from custos.accounting.transmissions import raise_overdue, transmissions
from custos.console.accounts import Session
from custos.console.roles import MAY_MANAGE_RECIPIENTS, MAY_SEE_BATCHES
from custos.console.web import Refused, done, guarded_page, render, runtime_of
from custos.policy.agreement import AgreementSpec
from custos.policy.store import get_agreement

router = APIRouter()


def _recipients(request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    today = runtime.ledger.clock.now().date()
    with runtime.database.read() as connection:
        active = connection.execute(
            select(agreement_version.c.agreement_id, agreement_version.c.version)
            .where(agreement_version.c.status == "active")
        ).all()  # fmt: skip
        specs: list[AgreementSpec] = [
            get_agreement(connection, a.agreement_id, a.version).spec for a in active
        ]
        agencies = sorted({spec.parties.requester_code for spec in specs})
        status = {row.agency_code: row for row in connection.execute(select(recipient_safeguards)).all()}
        problems = {agency: safeguards_problem(connection, agency, today) for agency in agencies}
        sent = transmissions(connection)
    return {"specs": specs, "agencies": agencies, "safeguards": status, "problems": problems, "sent": sent,
            "now_text": runtime.ledger.clock.now().strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip


@router.get("/recipients")
async def recipients(request: Request) -> Response:
    """Safeguard status, registered endpoints and transmissions per recipient agency."""

    async def handler(request: Request, session: Session) -> Response:
        return render(request, "recipients.html", session, **await run_in_threadpool(_recipients, request))

    return await guarded_page(request, MAY_SEE_BATCHES, handler)


@router.post("/recipients/safeguards")
async def safeguards(request: Request) -> Response:
    """Record a recipient agency's safeguard status (R37)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        try:
            spr = dt.date.fromisoformat(str(form.get("spr_date", "")))
            findings = int(str(form.get("open_findings", "")))
        except ValueError:
            raise Refused(422, "SPR date: YYYY-MM-DD; open findings: a whole number") from None
        agency = str(form.get("agency", ""))
        ledger = runtime_of(request).ledger

        def work() -> None:
            with ledger.transaction() as tx:
                record_safeguards(tx, agency, spr_date=spr, open_findings=findings,
                                  cap_approved=form.get("cap_approved") == "yes",
                                  actor=session.user.actor)  # fmt: skip

        await run_in_threadpool(work)
        return done("/recipients", f"Safeguard status of {agency} recorded")

    return await guarded_page(request, MAY_MANAGE_RECIPIENTS, handler)


@router.post("/recipients/overdue")
async def overdue(request: Request) -> Response:
    """Raise an incident for each transmission whose acknowledgement is overdue (R41)."""

    async def handler(request: Request, session: Session) -> Response:
        raised = await run_in_threadpool(raise_overdue, runtime_of(request).ledger, session.user.actor)
        return done("/recipients", f"{len(raised)} incident(s) raised for unacknowledged transmissions (R41)")

    return await guarded_page(request, MAY_MANAGE_RECIPIENTS, handler)
