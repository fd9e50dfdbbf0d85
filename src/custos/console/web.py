"""What every console page shares: templates, the signed-in session, CSRF and refusals.

Pages are plain HTML forms that work without JavaScript; htmx refreshes parts of
pages (the bulk-notice countdown, the queue).  A state-changing request must carry
the session's CSRF token (ASVS V4.2.2) and come from a signed-in user with one of
the roles the action needs; anything else is refused with a page that says why.
Responses are never cached and may not be framed (V14.4).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from custos.console.accounts import Session, open_session, touch
from custos.console.roles import Role
from custos.errors import Error
from custos.runtime import Runtime

SESSION_COOKIE = "custos_session"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Refused(Exception):
    """A console request refused: not signed in, wrong role, bad form or a policy refusal."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def runtime_of(request: Request) -> Runtime:
    """The installation the server process runs."""
    runtime: Runtime = request.app.state.ctx.runtime
    return runtime


def session_of(request: Request) -> Session | None:
    """The request's live session, if any (cookie checked against the session table)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime = runtime_of(request)
    with runtime.database.read() as connection:
        session = open_session(runtime.ledger, connection, token)
    if session is not None:
        touch(runtime.ledger, session)
    return session


def require(request: Request, roles: tuple[Role, ...]) -> Session:
    """The session of a signed-in user holding one of ``roles``, or a refusal."""
    session = session_of(request)
    if session is None:
        raise Refused(401, "sign in first")
    if not session.user.may(*roles):
        raise Refused(403, f"this needs the role of {' or '.join(r.value.replace('_', ' ') for r in roles)}")
    return session


def check_csrf(session: Session, form: dict[str, Any]) -> None:
    """The form must echo the session's CSRF token."""
    sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Refused(403, "the form is out of date; reload the page and try again")


def render(
    request: Request, template: str, session: Session | None, status: int = 200, **values: Any
) -> Response:
    """A page, with the user, the CSRF token and any flash message."""
    now = runtime_of(request).ledger.clock.now()
    context = {"user": session.user if session else None, "csrf": session.csrf_token if session else "",
               "now": now, "flash": request.query_params.get("done", ""), "Role": Role, **values}  # fmt: skip
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def done(path: str, message: str) -> RedirectResponse:
    """Post/redirect/get with a message shown on the next page."""
    from urllib.parse import urlencode  # noqa: PLC0415 - only here

    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}{urlencode({'done': message})}", status_code=303)


Handler = Callable[[Request, Session], Awaitable[Response]]


async def guarded_page(request: Request, roles: tuple[Role, ...], handler: Handler) -> Response:
    """Run a page or form handler for a user with one of ``roles``; refusals become pages."""
    try:
        session = await run_in_threadpool(require, request, roles)
        if request.method == "POST":
            check_csrf(session, dict(await request.form()))
        return await handler(request, session)
    except Refused as exc:
        if exc.status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(request, "refused.html", session_of(request), status=exc.status, message=str(exc))
    except Error as exc:  # a policy refusal (custos.errors): the action did not happen
        return render(request, "refused.html", session_of(request), status=409, message=str(exc))


def countdown(until: str | None, now: dt.datetime) -> str:
    """'3 h 12 min' until an ISO timestamp, or '' when it has passed."""
    if not until:
        return ""
    left = dt.datetime.fromisoformat(until.replace("Z", "+00:00")) - now
    if left.total_seconds() <= 0:
        return ""
    minutes = int(left.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
