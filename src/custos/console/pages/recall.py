"""Recall (R52-R54, R56): a defect predicate, the disclosures it touches, disposal requests, replies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from custos.accounting.recall import (
    Defect,
    affected_disclosures,
    escalate_overdue,
    incident_counts,
    open_recall,
    overdue,
    record_reply,
)
from custos.accounting.tables import disposal_request
from custos.console.accounts import Session
from custos.console.roles import MAY_RECALL, MAY_SEE_BATCHES
from custos.console.web import Refused, done, guarded_page, render, runtime_of

router = APIRouter()
DEFECT_FIELDS = (
    "batch_id",
    "released_from",
    "released_to",
    "engine_version",
    "normalizer_version",
    "snapshot_id",
)


def _defect(form: Any) -> Defect:
    values = {name: (str(form.get(name, "")).strip() or None) for name in DEFECT_FIELDS}
    return Defect(**values)


def _page(request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.read() as connection:
        requests = connection.execute(
            select(disposal_request).order_by(disposal_request.c.request_id.desc())
        ).all()
        late = set(overdue(connection, runtime.ledger.clock.now()))
        incidents = incident_counts(connection)
    return {"requests": requests, "late": late, "incidents": incidents, "fields": DEFECT_FIELDS}


@router.get("/recall")
async def recall(request: Request) -> Response:
    """Disposal requests, their replies and the incident count per act."""

    async def handler(request: Request, session: Session) -> Response:
        return render(request, "recall.html", session, **await run_in_threadpool(_page, request))

    return await guarded_page(request, MAY_SEE_BATCHES, handler)


@router.post("/recall/preview")
async def preview(request: Request) -> Response:
    """List every disclosure a defect predicate touches, before anything is sent."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        defect = _defect(form)
        ledger = runtime_of(request).ledger
        affected = await run_in_threadpool(affected_disclosures, ledger, defect)
        values = await run_in_threadpool(_page, request)
        return render(request, "recall.html", session, affected=affected, defect=defect, **values)

    return await guarded_page(request, MAY_RECALL, handler)


@router.post("/recall")
async def open_command(request: Request) -> Response:
    """Open the recall: one disposal request per recipient agency (R52)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        defect = _defect(form)
        ledger = runtime_of(request).ledger

        def work() -> tuple[str, list[int]]:
            affected = affected_disclosures(ledger, defect)
            with ledger.transaction() as tx:
                return open_recall(tx, affected, session.user.actor)

        recall_id, ids = await run_in_threadpool(work)
        return done("/recall", f"Recall {recall_id} opened: {len(ids)} disposal request(s)")

    return await guarded_page(request, MAY_RECALL, handler)


@router.post("/recall/requests/{request_id}")
async def reply(request: Request, request_id: int) -> Response:
    """Record a recipient's acknowledgement or certification of disposal (R53)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        step = str(form.get("step", ""))
        if step not in {"acknowledged", "certified"}:
            raise Refused(422, "step: acknowledged or certified")
        ledger = runtime_of(request).ledger

        def work() -> None:
            with ledger.transaction() as tx:
                record_reply(tx, request_id, step, session.user.actor)

        await run_in_threadpool(work)
        return done("/recall", f"Disposal request {request_id} {step}")

    return await guarded_page(request, MAY_RECALL, handler)


@router.post("/recall/escalate")
async def escalate(request: Request) -> Response:
    """Escalate every overdue disposal request in the ledger (R53)."""

    async def handler(request: Request, session: Session) -> Response:
        ledger = runtime_of(request).ledger

        def work() -> list[int]:
            with ledger.transaction() as tx:
                return escalate_overdue(tx, session.user.actor)

        late = await run_in_threadpool(work)
        return done("/recall", f"{len(late)} overdue disposal request(s) escalated")

    return await guarded_page(request, MAY_RECALL, handler)
