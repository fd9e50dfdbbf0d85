"""The OpenAPI description: request bodies, the signature scheme and links between operations.

Bodies are described here rather than declared as handler parameters: FastAPI
would validate a declared body before the handler runs, and an unsigned
request must be answered 401, not 422.  The links (a batch's id to its status
and results, a lookup's case number to the case) let stateful testers and the
requesting agency's engineers follow one request through its life.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from custos.api.models import LookupRequest, Problem

SECURITY: list[dict[str, list[str]]] = [{"httpMessageSignature": []}]

_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": Problem,
        "description": "Not signed, or the signature does not verify (the code says why).",
    },
    404: {"model": Problem, "description": "Nothing by that name under the caller's agreement."},
    413: {"model": Problem, "description": "The body is larger than the server accepts."},
    422: {"model": Problem, "description": "Signed, but the submission is refused (the code says why)."},
    429: {"model": Problem, "description": "This key made too many requests in the last minute."},
    503: {"model": Problem, "description": "The ledger cannot be written, so nothing was done."},
}


def _refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: _REFUSALS[code] for code in codes}


LOOKUP: dict[str, Any] = {
    "summary": "Decide up to 25 records now, through the same pipeline as a batch",
    "openapi_extra": {
        "security": SECURITY,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LookupRequest"}}},
        },
    },
    "responses": {
        200: {
            "description": "Decided up to the approval hold: rejections now, other codes after release.",
            "links": {
                "GetCase": {
                    "operationId": "getCase",
                    "parameters": {"case_number": "$response.body#/results/0/case_number"},
                },
                "GetBatch": {
                    "operationId": "getBatch",
                    "parameters": {"batch_id": "$response.body#/batch_id"},
                },
            },
        },
        **_refusals(401, 413, 422, 429, 503),
    },
}

SUBMIT_BATCH: dict[str, Any] = {
    "summary": "Submit a signed batch file (CSV, JSON Lines or Parquet) with its envelope",
    "openapi_extra": {
        "security": SECURITY,
        "parameters": [
            {
                "name": "Custos-Envelope",
                "in": "header",
                "required": True,
                "description": "The batch's signed envelope (JSON), base64url-encoded.",
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("text/csv", "application/x-ndjson", "application/vnd.apache.parquet")
            },
        },
    },
    "responses": {
        202: {
            "description": "Accepted; poll the batch's status.",
            "links": {
                "GetBatch": {
                    "operationId": "getBatch",
                    "parameters": {"batch_id": "$response.body#/batch_id"},
                },
                "GetResults": {
                    "operationId": "getResults",
                    "parameters": {"batch_id": "$response.body#/batch_id"},
                },
            },
        },
        **_refusals(401, 413, 422, 429, 503),
    },
}

GET_BATCH: dict[str, Any] = {
    "summary": "A batch's status; counts by code once released or rejected",
    "openapi_extra": {"security": SECURITY},
    "responses": {
        200: {
            "description": "The batch.",
            "links": {
                "GetResults": {
                    "operationId": "getResults",
                    "parameters": {"batch_id": "$request.path.batch_id"},
                }
            },
        },
        **_refusals(401, 404, 429, 503),
    },
}

GET_RESULTS: dict[str, Any] = {
    "summary": "A released batch's results: record_id, case_number, code (CSV or JSON Lines)",
    "openapi_extra": {
        "security": SECURITY,
        "parameters": [
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["csv", "jsonl"], "default": "csv"},
            },
            {
                "name": "endpoint",
                "in": "query",
                "required": False,
                "description": "The registered API endpoint (default: the agreement's only one).",
                "schema": {"type": "string"},
            },
        ],
    },
    "responses": {
        200: {
            "description": "The results file; its digest and ledger entry are in the response headers.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        },
        400: {"model": Problem, "description": "Unknown format."},
        409: {
            "model": Problem,
            "description": "Not released yet, or delivery refused (legal hold, safeguards).",
        },
        **_refusals(401, 404, 429, 503),
    },
}

GET_CASE: dict[str, Any] = {
    "summary": "A case's code as the requester may see it",
    "openapi_extra": {"security": SECURITY},
    "responses": {200: {"description": "The case."}, **_refusals(401, 404, 429, 503)},
}


def install(app: FastAPI) -> None:
    """Generate the document once, adding the signature scheme and the lookup body's schema."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                routes=app.routes,
                description=(__doc__ or "").split("\n\n")[0],
            )
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {})["LookupRequest"] = LookupRequest.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components["securitySchemes"] = {
                "httpMessageSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Signature",
                    "description": "RFC 9421 signature by an official's registered key: label sig1, "
                    'tag="custos-request-v1", keyid "<agreement>/<signer>", created, expires (<= 300 s), '
                    "nonce (>= 128 bits), covering @method, @target-uri, content-digest and, with a body, "
                    "content-type. See docs/api.md.",
                }
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
