"""Sign-in, sign-out and the dashboard: what waits for whom."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from custos.accounting.recall import overdue
from custos.accounting.review import review_queue
from custos.accounting.tables import batch, legal_hold, transmission
from custos.console.accounts import Session, SignInRefused, sign_in, sign_out
from custos.console.roles import MAY_SEE_BATCHES
from custos.console.web import SECURITY_HEADERS, SESSION_COOKIE, guarded_page, render, runtime_of
from custos.ledger.models import format_timestamp

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only a local path is followed after sign-in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
async def login_page(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "login.html", None, next=_safe_next(request.query_params.get("next", "/")))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password and open a session; a refusal says nothing about which part was wrong."""
    form = await request.form()
    user_id, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    runtime = runtime_of(request)
    source = request.client.host if request.client else None
    try:
        token, _ = await run_in_threadpool(sign_in, runtime.ledger, user_id, password, source)
    except SignInRefused as exc:
        return render(request, "login.html", None, status=401, error=str(exc), next=target)
    response = RedirectResponse(target, status_code=303)
    secure = runtime.settings.api_public_url.startswith("https://")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
    response.headers.update(SECURITY_HEADERS)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session server-side."""

    async def handler(request: Request, session: Session) -> Response:
        source = request.client.host if request.client else None
        await run_in_threadpool(sign_out, runtime_of(request).ledger, session, source)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return await guarded_page(request, MAY_SEE_BATCHES, handler)


def _dashboard(request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    now = runtime.ledger.clock.now()
    with runtime.database.read() as connection:
        queue = review_queue(connection, now)
        by_status = connection.execute(select(batch.c.status, func.count()).group_by(batch.c.status)).all()
        statuses: dict[str, int] = {str(status): int(count) for status, count in by_status}
        holds = connection.execute(
            select(func.count()).where(legal_hold.c.released_at.is_(None))
        ).scalar_one()
        late_acks = connection.execute(
            select(func.count()).where(transmission.c.acknowledged_at.is_(None),
                                       transmission.c.ack_due_at < format_timestamp(now))
        ).scalar_one()  # fmt: skip
        late_disposals = len(overdue(connection, now))
    return {"queue": len(queue), "overdue_reviews": sum(1 for i in queue if i.overdue), "statuses": statuses,
            "holds": holds, "late_acks": late_acks, "late_disposals": late_disposals}  # fmt: skip


@router.get("/")
async def dashboard(request: Request) -> Response:
    """What waits for whom: reviews, approvals, holds, overdue acknowledgements and disposals."""

    async def handler(request: Request, session: Session) -> Response:
        figures = await run_in_threadpool(_dashboard, request)
        return render(request, "dashboard.html", session, **figures)

    return await guarded_page(request, MAY_SEE_BATCHES, handler)
