"""schemathesis against the running API (ledger-and-security.md test 21).

The server runs for real (uvicorn in a thread, lifespan and background worker
included).  Every generated request is signed by a ``requests`` auth hook, the
way a requesting agency's client library would sign it, so the fuzzer reaches
the operations instead of stopping at 401.  Checks: no 5xx, status codes,
content types and bodies as documented.  The stateful run follows the OpenAPI
links (a lookup's case number to the case, a batch id to its status and
results).  The unsigned run asserts that every protected operation answers 401,
never 2xx, 422 or 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.served import free_port, running
from tests.unit.accounting.harness import Harness, fresh

from custos.api.app import create_app
from custos.api.client import sign_request
from custos.config import Settings
from custos.demo_setup import DEMO_AGREEMENT, HEAD
from custos.intake.envelope import load_private_key

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PROTECTED = {"lookup", "submitBatch", "getBatch", "getResults", "getCase"}


class SignEveryRequest(requests.auth.AuthBase):
    """Sign the prepared request exactly as it goes on the wire (method, URL, body, content type)."""

    def __init__(self, demo: Harness) -> None:
        self.key = load_private_key(demo.keys[HEAD])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
            request.body = body
        content_type = request.headers.get("Content-Type") if body else None
        for name in ("Signature", "Signature-Input", "Content-Digest"):
            request.headers.pop(name, None)
        if not body:
            request.headers.pop("Content-Type", None)
        signed = sign_request(
            str(request.method), str(request.url), key=self.key, keyid=f"{DEMO_AGREEMENT}/{HEAD}",
            body=body, content_type=content_type,
        )  # fmt: skip
        request.headers.update(signed)
        return request


@pytest.fixture
def served(demo: Harness) -> Iterator[str]:
    """The API on a free loopback port; yields its base URL (which is also the URL clients sign)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    configured = Settings.load(demo.directory).model_copy(
        update={"api_public_url": base, "api_rate_per_minute": 1_000_000}
    )
    with running(create_app(configured), port):
        yield base


def _schema(base: str, demo: Harness) -> Any:
    schema = schemathesis.openapi.from_url(f"{base}/v1/openapi.json")
    valid = demo.confirmable(6)
    numbers = count(1)

    @schema.hook("map_body")  # type: ignore[misc]
    def usable_lookups(context: Any, body: Any) -> Any:
        """Half the lookups name the demo agreement with real records, so links reach deep states."""
        if isinstance(body, dict) and "records" in body and len(body["records"]) % 2 == 1:
            number = next(numbers)
            records = [fresh(valid[(number + i) % len(valid)], "FUZZ", number * 10 + i) for i in range(2)]
            return {"agreement_id": DEMO_AGREEMENT, "agreement_version": 1, "records": records}
        return body

    return schema


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.mark.slow
def test_signed_requests_never_fail_the_server_or_the_schema(served: str, demo: Harness) -> None:
    session = requests.Session()
    session.auth = SignEveryRequest(demo)
    schema = _schema(served, demo)
    seen: set[str] = set()
    statuses: set[int] = set()
    for operation in schema.get_all_operations():
        api_operation = operation.ok()
        seen.add(api_operation.definition.raw.get("operationId", ""))
        strategy = api_operation.as_strategy()

        @FUZZ
        @given(case=strategy)
        def run(case: Any) -> None:
            response = case.call_and_validate(session=session, checks=CHECKS)
            statuses.add(response.status_code)

        run()
    assert seen >= PROTECTED
    assert 401 not in statuses, "every generated request was signed and accepted as authentic"
    accepted = [
        e for e in demo.entries() if e["event_type"] == "request.received" and e["action"] == "lookup"
    ]
    assert accepted, "some generated lookups got through the whole pipeline"


@pytest.mark.slow
def test_stateful_runs_through_the_links(served: str, demo: Harness) -> None:
    session = requests.Session()
    session.auth = SignEveryRequest(demo)
    schema = _schema(served, demo)

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"session": session}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(settings=settings(max_examples=40, stateful_step_count=6, deadline=None,
                                  suppress_health_check=list(HealthCheck), derandomize=True))  # fmt: skip
    followed = [e for e in demo.entries() if e["action"] == "read_case" and e["outcome"] == "success"]
    assert followed, "the lookup -> case link was followed to an existing case"


@pytest.mark.slow
def test_unsigned_requests_are_refused_everywhere(served: str, demo: Harness) -> None:
    schema = _schema(served, demo)
    session = requests.Session()
    statuses: dict[str, set[int]] = {}
    for operation in schema.get_all_operations():
        api_operation = operation.ok()
        name = api_operation.definition.raw.get("operationId", "")
        if name not in PROTECTED:
            continue

        _refused_everywhere(api_operation, name, session, statuses)
    assert set(statuses) == PROTECTED


def _refused_everywhere(
    operation: Any, name: str, session: requests.Session, statuses: dict[str, set[int]]
) -> None:
    @FUZZ
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(session=session)
        statuses.setdefault(name, set()).add(response.status_code)
        assert response.status_code == 401, (name, response.status_code, response.text[:200])

    run()
