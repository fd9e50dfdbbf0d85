"""Structured JSON logs: one line per request, never a confidential value.

A line names the method, the route (not the raw path), the status, the time
taken, the key that signed and the ledger entry that records the request.
Bodies, headers and query strings are never logged: they may hold request
records.  Timestamps are UTC (ASVS 16.2.2).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FIELDS = ("method", "route", "status", "ms", "keyid", "code", "ledger_seq", "batch_id", "error", "tree_size")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the whitelisted extra fields only."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        return json.dumps(line, ensure_ascii=True)


def configure_json_logging() -> None:
    """Send custos.api logs to stderr as JSON lines (once)."""
    log = logging.getLogger("custos.api")
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


class RequestLogMiddleware:
    """Logs each HTTP request after its response has started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, then log one line about it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            state = scope.get("state", {})
            route = scope.get("route")
            logging.getLogger("custos.api").info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "route": getattr(route, "path", "unmatched"),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "keyid": state.get("keyid"),
                    "code": state.get("code"),
                    "ledger_seq": state.get("ledger_seq"),
                },
            )
