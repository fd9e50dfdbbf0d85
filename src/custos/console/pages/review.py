"""The additional-verification queue (R65): held records, their evidence, a decision with a reason.

Opening a case shows the request and master records: both are inspections in the
ledger before the page is sent (R47).  The decision form posts only the chosen
taxpayer's index id and the reason; the evidence is recomputed when it is recorded.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from custos.accounting.review import Evidence, decide_review, gather_evidence, review_queue
from custos.console.accounts import Session
from custos.console.roles import MAY_REVIEW
from custos.console.web import Refused, done, guarded_page, render, runtime_of

router = APIRouter()


@router.get("/review")
async def queue(request: Request) -> Response:
    """Held records awaiting a person, with their SLA deadlines."""

    async def handler(request: Request, session: Session) -> Response:
        runtime = runtime_of(request)

        def load() -> object:
            with runtime.database.read() as connection:
                return review_queue(connection, runtime.ledger.clock.now())

        return render(request, "review_queue.html", session, items=await run_in_threadpool(load))

    return await guarded_page(request, MAY_REVIEW, handler)


def _evidence(request: Request, number: str, session: Session) -> Evidence:
    ctx = request.app.state.ctx
    with ctx.pipeline.shared_index.engine() as engine:
        return gather_evidence(ctx.runtime, engine, number, session.user.actor)


@router.get("/review/{number}")
async def case(request: Request, number: str) -> Response:
    """One held record's evidence (an inspection, R47) and the decision form."""

    async def handler(request: Request, session: Session) -> Response:
        evidence = await run_in_threadpool(_evidence, request, number, session)
        return render(request, "review_case.html", session, e=evidence)

    return await guarded_page(request, MAY_REVIEW, handler)


@router.post("/review/{number}")
async def decide(request: Request, number: str) -> Response:
    """Record the reviewer's decision and written reason."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        choice = str(form.get("decision", ""))
        if choice != "not_confirmed" and not choice.isdigit():
            raise Refused(422, "decision: choose a taxpayer to confirm or 'not confirmed'")
        taxpayer = None if choice == "not_confirmed" else int(choice)
        ctx = request.app.state.ctx

        def record() -> str:
            with ctx.pipeline.shared_index.engine() as engine:
                reason = str(form.get("reason", ""))
                return decide_review(ctx.runtime, engine, number, session.user.actor,
                                     confirm_taxpayer=taxpayer, reason=reason)  # fmt: skip

        code = await run_in_threadpool(record)
        return done("/review", f"{number}: {code}")

    return await guarded_page(request, MAY_REVIEW, handler)
