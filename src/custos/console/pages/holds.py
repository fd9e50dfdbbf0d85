"""Legal holds and the court-order register (R5, R6): set by one, released by two authorized people."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from custos.accounting.tables import agreement_version, legal_hold
from custos.console.accounts import Session
from custos.console.holds import propose_release, second_approval
from custos.console.roles import MAY_RELEASE_HOLD, MAY_SEE_BATCHES, MAY_SET_HOLD
from custos.console.tables import hold_release_proposal
from custos.console.web import Refused, done, guarded_page, render, runtime_of
from custos.policy.store import CourtOrder, set_hold

router = APIRouter()


def _holds(request: Request) -> dict[str, Any]:
    with runtime_of(request).database.read() as connection:
        holds = connection.execute(
            select(legal_hold, hold_release_proposal.c.proposed_by, hold_release_proposal.c.proposed_at,
                   hold_release_proposal.c.reason.label("proposal_reason"))
            .outerjoin(hold_release_proposal, hold_release_proposal.c.hold_id == legal_hold.c.hold_id)
            .order_by(legal_hold.c.hold_id.desc())
        ).all()  # fmt: skip
        agreements = sorted(set(connection.execute(select(agreement_version.c.agreement_id)).scalars()))
    return {"holds": holds, "agreements": agreements}


@router.get("/holds")
async def holds(request: Request) -> Response:
    """Holds in force and released, with their court orders."""

    async def handler(request: Request, session: Session) -> Response:
        return render(request, "holds.html", session, **await run_in_threadpool(_holds, request))

    return await guarded_page(request, MAY_SEE_BATCHES, handler)


@router.post("/holds")
async def set_command(request: Request) -> Response:
    """Set a legal hold that implements a court order (R5, R6)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        try:
            order_date = dt.date.fromisoformat(str(form.get("order_date", "")))
        except ValueError:
            raise Refused(422, "order date: YYYY-MM-DD") from None
        order = CourtOrder(
            str(form.get("court", "")).strip(), str(form.get("docket", "")).strip(), order_date
        )
        scope = str(form.get("scope", "global")) or "global"
        ledger = runtime_of(request).ledger

        def work() -> int:
            with ledger.transaction() as tx:
                return set_hold(tx, scope, order, session.user.actor)

        hold_id = await run_in_threadpool(work)
        return done(
            "/holds", f"Legal hold {hold_id} set ({scope}); nothing is matched, released or sent under it"
        )

    return await guarded_page(request, MAY_SET_HOLD, handler)


@router.post("/holds/{hold_id}/release")
async def release(request: Request, hold_id: int) -> Response:
    """First press proposes the release; a second authorized person's press releases (R6)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        ledger = runtime_of(request).ledger
        step = str(form.get("step", "propose"))
        if step == "propose":
            await run_in_threadpool(
                propose_release, ledger, hold_id, session.user, str(form.get("reason", ""))
            )
            return done("/holds", f"Release of hold {hold_id} proposed; a second approver must confirm")
        await run_in_threadpool(second_approval, ledger, hold_id, session.user)
        return done("/holds", f"Legal hold {hold_id} released by two approvers")

    return await guarded_page(request, MAY_RELEASE_HOLD, handler)
