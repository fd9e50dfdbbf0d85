"""The custos HTTP API (``/v1``): batches, lookups, results and cases, every request signed.

Every protected operation authenticates first (:mod:`custos.api.auth`) and
declares no body or parameter FastAPI would validate before that, so an
unsigned request is answered 401, never 422.  Each request leaves exactly one
request-level ledger entry: ``request.received`` (or ``request.rejected``) for a
submission, ``access.read`` for a status read, ``results.transmitted`` for a
results download, and a refusal entry for a request that fails authentication.
Submissions go through :class:`~custos.accounting.pipeline.DecisionPipeline`,
the same pipeline as the command line.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from custos.accounting.admission import SubmissionRejected
from custos.accounting.pipeline import DecisionPipeline
from custos.accounting.release import (
    DeliveryRefused,
    ReleaseError,
    batch_counts,
    case_status,
    deliver_results,
)
from custos.accounting.tables import batch, case_id_of, case_number, case_record
from custos.accounting.transport import SignedRequest, record_access
from custos.api import openapi
from custos.api.auth import (
    ApiError,
    DatabaseKeyRegistry,
    RateLimiter,
    ReceivedBody,
    RequestFacts,
    authenticate,
    read_body,
    record_refusal,
    request_facts,
)
from custos.api.checkpoints import CheckpointTimer
from custos.api.logs import RequestLogMiddleware, configure_json_logging
from custos.api.models import BatchAccepted, BatchStatus, CaseStatus, Health, LookupRequest, LookupResponse
from custos.api.worker import BatchWorker
from custos.config import Settings
from custos.console.app import install_console
from custos.digests import file_digest
from custos.errors import Error, LedgerError, StorageError
from custos.intake.envelope import Envelope, EnvelopeError, parse_envelope
from custos.ledger.events import EventType, ObjectRef
from custos.ledger.models import Clock
from custos.matching.batch import SharedIndex
from custos.policy.codes import response_code
from custos.runtime import Runtime

logger = logging.getLogger("custos.api")
LOOKUP_BODY_LIMIT = 1024 * 1024
ENVELOPE_HEADER = "custos-envelope"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


@dataclass
class ApiContext:
    """The opened installation one server process answers from."""

    settings: Settings
    runtime: Runtime
    pipeline: DecisionPipeline
    registry: DatabaseKeyRegistry
    limiter: RateLimiter
    worker: BatchWorker
    instance: str

    @property
    def spool_dir(self) -> Path:
        """Where uploads wait for processing."""
        return self.settings.path(self.settings.api_spool_dir)

    def facts(self, request: Request) -> RequestFacts:
        """What is known of a request before trusting it."""
        s = self.settings
        return request_facts(
            request,
            public_url=s.api_public_url,
            trusted_proxies=s.api_trusted_proxies,
            cert_header=s.api_client_cert_header,
            instance=self.instance,
        )

    def authenticate(self, facts: RequestFacts, body: ReceivedBody) -> SignedRequest:
        """Verify a request's signature, rate and freshness."""
        return authenticate(self.runtime.ledger, self.registry, self.limiter, facts, body)

    def refuse(
        self, facts: RequestFacts, signed: SignedRequest, status: int, code: str, message: str
    ) -> ApiError:
        """Record a signed request refused before it did anything; return the error to raise."""
        seq = record_refusal(
            self.runtime.ledger,
            facts,
            EventType.REQUEST_REJECTED,
            code,
            message,
            actor=signed.actor,
            evidence=signed.evidence,
            signed=signed,
        )
        return ApiError(status, code, message, seq)

    # --- operations --------------------------------------------------------------------------------

    def lookup(self, facts: RequestFacts, signed: SignedRequest, body: ReceivedBody) -> LookupResponse:
        """Decide up to the interactive limit of records through the one pipeline."""
        try:
            payload = LookupRequest.model_validate_json(body.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise self.refuse(
                facts, signed, 422, "REJ_MALFORMED_REQUEST", f"{where}: {first['msg']}"
            ) from exc
        path = self._spool_records(payload)
        try:
            created = dt.datetime.fromtimestamp(signed.created, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            envelope = Envelope(
                agreement_id=payload.agreement_id,
                agreement_version=payload.agreement_version,
                signer=signed.signer,
                created=created,
                nonce=signed.nonce,
                batch_digest=file_digest(path),
                batch_format="jsonl",
                record_count=len(payload.records),
                alg=signed.evidence.alg,
                signature=signed.evidence.signature,
            )
            try:
                summary = self.pipeline.submit(path, envelope, replace(signed, body_signed=True))
            except SubmissionRejected as exc:
                raise ApiError(422, exc.code, str(exc), exc.seq) from exc
        finally:
            path.unlink(missing_ok=True)
        with self.runtime.database.read() as connection:
            cases = connection.execute(
                select(case_record.c.case_id, case_record.c.record_id, case_record.c.internal_code)
                .where(case_record.c.batch_id == summary.batch_id)
                .order_by(case_record.c.row_number)
            ).all()
        results = [
            {
                "record_id": c.record_id,
                "case_number": case_number(c.case_id),
                "code": _visible(c.internal_code),
            }
            for c in cases
        ]
        return LookupResponse.model_validate(
            {"batch_id": summary.batch_id, "status": summary.status, "results": results}
        )

    def _spool_records(self, payload: LookupRequest) -> Path:
        columns = list(dict.fromkeys(key for record in payload.records for key in record))
        self.spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.spool_dir / f"lookup-{secrets.token_hex(12)}.jsonl"
        lines = (
            json.dumps({key: record.get(key) for key in columns}, ensure_ascii=False)
            for record in payload.records
        )
        with path.open("x", encoding="utf-8") as handle:
            os.chmod(path, 0o600)
            handle.writelines(line + "\n" for line in lines)
        return path

    def submit_batch(self, facts: RequestFacts, signed: SignedRequest, body: ReceivedBody) -> BatchAccepted:
        """Accept a signed batch file for processing; the worker does the rest."""
        header = next((value for name, value in facts.headers if name == ENVELOPE_HEADER), None)
        if header is None:
            raise self.refuse(facts, signed, 422, "REJ_UNSIGNED", f"the {ENVELOPE_HEADER} header is missing")
        try:
            envelope = parse_envelope(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except (binascii.Error, ValueError, EnvelopeError) as exc:
            code = exc.code if isinstance(exc, EnvelopeError) else "REJ_ENVELOPE_MALFORMED"
            raise self.refuse(facts, signed, 422, code, f"{ENVELOPE_HEADER}: {exc}") from exc
        assert body.path is not None  # noqa: S101 - submit_batch always spools
        try:
            accepted = self.pipeline.accept(body.path, envelope, signed)
        except SubmissionRejected as exc:
            raise ApiError(422, exc.code, str(exc), exc.seq) from exc
        self.worker.submit(accepted.batch_id)
        return BatchAccepted(batch_id=accepted.batch_id, status="validating", records=accepted.record_count)

    def _batch_row(self, batch_id: str, signed: SignedRequest) -> Any:
        with self.runtime.database.read() as connection:
            row = connection.execute(select(batch).where(batch.c.batch_id == batch_id[:40])).one_or_none()
        return row if row is not None and row.agreement_id == signed.agreement_id else None

    def batch_status(self, signed: SignedRequest, batch_id: str) -> BatchStatus:
        """A batch of the caller's agreement; counts once released or rejected."""
        row = self._batch_row(batch_id, signed)
        seq = record_access(
            self.runtime.ledger,
            signed,
            "read_batch",
            ObjectRef("batch", batch_id[:40]),
            allowed=row is not None,
        )
        if row is None:
            raise ApiError(404, "NOT_FOUND", f"no batch {batch_id[:40]} under this agreement", seq)
        counts = None
        if row.status in {"released", "rejected"}:
            with self.runtime.database.read() as connection:
                counts = batch_counts(connection, row.batch_id)
        return BatchStatus(
            batch_id=row.batch_id,
            status=row.status,
            agreement_id=row.agreement_id,
            agreement_version=row.agreement_version,
            records=row.record_count,
            received_at=row.received_at,
            released_at=row.released_at,
            rejection_code=row.rejection_code,
            counts=counts,
        )

    def results(self, signed: SignedRequest, batch_id: str, fmt: str, endpoint: str | None) -> Response:
        """A released batch's results, to the recipient system the agreement registers for the API."""
        row = self._batch_row(batch_id, signed)
        target = ObjectRef("results", batch_id[:40])
        if row is None:
            seq = record_access(self.runtime.ledger, signed, "read_results", target, allowed=False)
            raise ApiError(404, "NOT_FOUND", f"no batch {batch_id[:40]} under this agreement", seq)
        if fmt not in MEDIA_TYPES:
            seq = record_access(
                self.runtime.ledger,
                signed,
                "read_results",
                target,
                allowed=False,
                details={"detail": "unknown format"},
            )
            raise ApiError(400, "BAD_FORMAT", "format is csv or jsonl", seq)
        try:
            delivered = deliver_results(
                self.runtime.ledger,
                row.batch_id,
                signed.actor,
                delivery="api",
                endpoint=endpoint,
                fmt=fmt,
                transport=signed,
            )
        except DeliveryRefused as exc:
            raise ApiError(409, exc.code, str(exc), exc.seq) from exc
        except ReleaseError as exc:
            seq = record_access(
                self.runtime.ledger,
                signed,
                "read_results",
                target,
                allowed=False,
                details={"detail": str(exc)[:200]},
            )
            raise ApiError(409, "NOT_RELEASED", str(exc), seq) from exc
        headers = {"Custos-Ledger-Seq": str(delivered.seq), "Custos-Results-Digest": delivered.digest}
        return Response(delivered.data, media_type=MEDIA_TYPES[fmt], headers=headers)

    def case(self, signed: SignedRequest, number: str) -> CaseStatus:
        """A case of the caller's agreement (R64)."""
        case_id = case_id_of(number)
        agreement = None
        if case_id is not None:
            with self.runtime.database.read() as connection:
                agreement = connection.execute(
                    select(batch.c.agreement_id)
                    .join(case_record, case_record.c.batch_id == batch.c.batch_id)
                    .where(case_record.c.case_id == case_id)
                ).scalar()
        allowed = agreement is not None and agreement == signed.agreement_id
        seq = record_access(
            self.runtime.ledger, signed, "read_case", ObjectRef("case", number[:16]), allowed=allowed
        )
        if not allowed:
            raise ApiError(404, "NOT_FOUND", f"no case {number[:16]} under this agreement", seq)
        return CaseStatus.model_validate(case_status(self.runtime.ledger, number))


def _visible(internal: str) -> str:
    """Before release a requester sees only what it can correct: rejections of its own request."""
    return response_code(internal) if internal.startswith("REJ_") else "PENDING_RELEASE"


def _problem(error: ApiError) -> JSONResponse:
    return JSONResponse(
        {"error": error.code, "message": str(error), "ledger_seq": error.seq},
        status_code=error.status,
        headers={"WWW-Authenticate": 'Signature tag="custos-request-v1"'} if error.status == 401 else None,
    )


def create_app(settings: Settings, *, clock: Clock | None = None, start_worker: bool = True) -> FastAPI:
    """The ASGI application for one data directory."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.open(settings, clock)
        shared = SharedIndex(settings.path(settings.master_index))
        pipeline = DecisionPipeline(runtime, shared_index=shared)
        worker = BatchWorker(pipeline, settings.path(settings.api_spool_dir))
        app.state.ctx = ApiContext(
            settings,
            runtime,
            pipeline,
            DatabaseKeyRegistry(runtime.database, runtime.ledger),
            RateLimiter(settings.api_rate_per_minute),
            worker,
            f"{socket.gethostname()}:{os.getpid()}",
        )
        timer = CheckpointTimer(runtime.ledger, settings.checkpoint_interval_seconds)
        if start_worker:
            worker.start()
            timer.start()
        try:
            yield
        finally:
            if start_worker:
                timer.stop()
                worker.stop()
            shared.close()
            runtime.close()

    app = FastAPI(
        title="custos",
        version="1",
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(RequestLogMiddleware)

    _register_routes(app, settings)
    install_console(app)

    @app.exception_handler(Error)
    async def custos_error(request: Request, exc: Error) -> JSONResponse:
        logger.error("unhandled custos error", extra={"error": type(exc).__name__})
        return _problem(ApiError(503, "UNAVAILABLE", "the service cannot complete this request now"))

    openapi.install(app)
    configure_json_logging()
    return app


async def guarded(request: Request, work: Any, *, spool: bool = False, limit: int = LOOKUP_BODY_LIMIT) -> Any:
    """Read, authenticate, then run ``work(ctx, facts, signed, body)``; answer refusals as Problems."""
    ctx: ApiContext = request.app.state.ctx
    facts = ctx.facts(request)
    body: ReceivedBody | None = None
    try:
        try:
            body = await read_body(request, limit=limit, spool_dir=ctx.spool_dir if spool else None)
        except ApiError as exc:
            exc.seq = await run_in_threadpool(
                record_refusal, ctx.runtime.ledger, facts, EventType.REQUEST_REJECTED, exc.code, str(exc)
            )
            raise
        signed = await run_in_threadpool(ctx.authenticate, facts, body)
        request.state.keyid = signed.keyid
        return await run_in_threadpool(work, ctx, facts, signed, body)
    except ApiError as exc:
        if body is not None and exc.status != 202:
            body.discard()
        request.state.code = exc.code
        request.state.ledger_seq = exc.seq
        return _problem(exc)
    except (StorageError, LedgerError) as exc:  # fail closed: nothing happened without its ledger entry
        if body is not None:
            body.discard()
        logger.error("ledger or database unavailable", extra={"error": type(exc).__name__})
        return _problem(ApiError(503, "UNAVAILABLE", "the ledger cannot be written; nothing was done"))


def _register_routes(app: FastAPI, settings: Settings) -> None:
    """The /v1 operations and the health probes."""

    @app.post("/v1/lookups", operation_id="lookup", response_model=LookupResponse, **openapi.LOOKUP)
    async def lookup(request: Request) -> Any:
        return await guarded(request, lambda ctx, facts, signed, body: ctx.lookup(facts, signed, body))

    @app.post(
        "/v1/batches",
        operation_id="submitBatch",
        status_code=202,
        response_model=BatchAccepted,
        **openapi.SUBMIT_BATCH,
    )
    async def submit_batch(request: Request) -> Any:
        limit = settings.api_max_body_bytes
        result = await guarded(
            request,
            lambda ctx, facts, signed, body: ctx.submit_batch(facts, signed, body),
            spool=True,
            limit=limit,
        )
        if isinstance(result, BatchAccepted):
            return JSONResponse(
                result.model_dump(), status_code=202, headers={"Location": f"/v1/batches/{result.batch_id}"}
            )
        return result

    @app.get(
        "/v1/batches/{batch_id}", operation_id="getBatch", response_model=BatchStatus, **openapi.GET_BATCH
    )
    async def get_batch(request: Request, batch_id: str) -> Any:
        return await guarded(request, lambda ctx, facts, signed, body: ctx.batch_status(signed, batch_id))

    @app.get("/v1/batches/{batch_id}/results", operation_id="getResults", **openapi.GET_RESULTS)
    async def get_results(request: Request, batch_id: str) -> Any:
        fmt = request.query_params.get("format", "csv")
        endpoint = request.query_params.get("endpoint")
        return await guarded(
            request, lambda ctx, facts, signed, body: ctx.results(signed, batch_id, fmt, endpoint)
        )

    @app.get("/v1/cases/{case_number}", operation_id="getCase", response_model=CaseStatus, **openapi.GET_CASE)
    async def get_case(request: Request, case_number: str) -> Any:
        return await guarded(request, lambda ctx, facts, signed, body: ctx.case(signed, case_number))

    @app.get("/health", operation_id="health", response_model=Health, tags=["operations"])
    async def health() -> Health:
        """Liveness: the process answers (no ledger entry, no authentication)."""
        return Health(status="ok")

    @app.get(
        "/ready",
        operation_id="ready",
        response_model=Health,
        tags=["operations"],
        responses={503: {"model": Health}},
    )
    async def ready(request: Request) -> Any:
        """Readiness: the database answers, the ledger is writable and the master index exists."""
        ctx: ApiContext = request.app.state.ctx
        checks = await run_in_threadpool(_readiness, ctx)
        ok = all(value == "ok" for value in checks.values())
        body = Health(status="ready" if ok else "not_ready", checks=checks).model_dump()
        return JSONResponse(body, status_code=200 if ok else 503)


def _readiness(ctx: ApiContext) -> dict[str, str]:
    checks = {}
    try:
        ctx.runtime.ledger.head()
        checks["database"] = "ok"
    except Error as exc:
        checks["database"] = type(exc).__name__
    checks["ledger"] = "read_only" if ctx.runtime.ledger.alarm.reason() is not None else "ok"
    index = ctx.settings.path(ctx.settings.master_index)
    checks["master_index"] = "ok" if index.exists() else "missing"
    return checks
