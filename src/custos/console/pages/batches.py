"""Batches: counts by code, the documented release (R35), bulk notice (R7) and delivery (R37-R40)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from custos.accounting.release import Approval, approve_and_release, batch_status, write_results
from custos.accounting.review import open_reviews
from custos.accounting.tables import batch, transmission
from custos.console.accounts import Session
from custos.console.roles import MAY_RELEASE, MAY_SEE_BATCHES
from custos.console.web import Refused, countdown, done, guarded_page, render, runtime_of
from custos.policy.store import get_agreement, hold_in_force

router = APIRouter()


def _batches(request: Request) -> list[Any]:
    with runtime_of(request).database.read() as connection:
        return list(connection.execute(select(batch).order_by(batch.c.received_at.desc()).limit(200)).all())


def _batch(request: Request, batch_id: str) -> dict[str, Any]:
    runtime = runtime_of(request)
    status = batch_status(runtime.ledger, batch_id)
    with runtime.database.read() as connection:
        row = connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one()
        spec = get_agreement(connection, row.agreement_id, row.agreement_version).spec
        sent = connection.execute(select(transmission).where(transmission.c.batch_id == batch_id)).all()
        return {"batch": status, "row": row, "reviews": open_reviews(connection, batch_id),
                "hold": hold_in_force(connection, row.agreement_id),
                "threshold": spec.limits.bulk_notice_threshold, "notice_hours": spec.limits.bulk_notice_hours,
                "transmissions": sent,
                "endpoints": [e for e in spec.endpoints if e.delivery == "file"],
                "left": countdown(row.notice_until, runtime.ledger.clock.now())}  # fmt: skip


@router.get("/batches")
async def batches(request: Request) -> Response:
    """Every batch, newest first, with its state."""

    async def handler(request: Request, session: Session) -> Response:
        rows = await run_in_threadpool(_batches, request)
        return render(request, "batches.html", session, batches=rows)

    return await guarded_page(request, MAY_SEE_BATCHES, handler)


@router.get("/batches/{batch_id}")
async def batch_page(request: Request, batch_id: str) -> Response:
    """One batch: counts by code, approvals, bulk-notice countdown, deliveries."""

    async def handler(request: Request, session: Session) -> Response:
        values = await run_in_threadpool(_batch, request, batch_id)
        template = "batch_notice.html" if request.headers.get("hx-request") else "batch.html"
        return render(request, template, session, **values)

    return await guarded_page(request, MAY_SEE_BATCHES, handler)


@router.post("/batches/{batch_id}/approve")
async def approve(request: Request, batch_id: str) -> Response:
    """A delegated official's documented approval (R35); above the threshold, the first of two (R7)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        role, delegation = str(form.get("role", "")).strip(), str(form.get("delegation", "")).strip()
        if not (role and delegation):
            raise Refused(422, "role and delegation reference: both are required (R35)")
        approval = Approval(session.user.actor, role, delegation)
        runtime = runtime_of(request)
        counts = await run_in_threadpool(approve_and_release, runtime.ledger, batch_id, approval)
        status = (await run_in_threadpool(batch_status, runtime.ledger, batch_id))["status"]
        summary = ", ".join(f"{code} {n}" for code, n in counts.items())
        if status == "bulk_notice":
            return done(f"/batches/{batch_id}", f"Approved; bulk notice period started ({summary})")
        return done(f"/batches/{batch_id}", f"Released ({summary})")

    return await guarded_page(request, MAY_RELEASE, handler)


@router.post("/batches/{batch_id}/deliver")
async def deliver(request: Request, batch_id: str) -> Response:
    """Send the results file to the agreement's registered file endpoint (R37-R40)."""

    async def handler(request: Request, session: Session) -> Response:
        form = await request.form()
        runtime = runtime_of(request)
        endpoint = str(form.get("endpoint", "")) or None

        def work() -> Path:
            return write_results(runtime.ledger, batch_id, session.user.actor,
                                 root=runtime.settings.data_dir, endpoint=endpoint)  # fmt: skip

        path = await run_in_threadpool(work)
        return done(f"/batches/{batch_id}", f"Results delivered to the registered endpoint ({path.name})")

    return await guarded_page(request, MAY_RELEASE, handler)
