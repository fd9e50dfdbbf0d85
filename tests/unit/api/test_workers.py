"""`custos serve --workers 3`: several server processes answer at once on one database.

Each worker process has its own connections; their writes queue on the
database's write lock (PostgreSQL: one advisory lock), so concurrent lookups
must each get their own case, one ``request.received`` entry each, and leave
a ledger that audits clean.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from tests.served import custos_serve, free_port
from tests.unit.accounting.harness import Harness, valid_rows

from custos.api.client import sign_request
from custos.demo_setup import DEMO_AGREEMENT, HEAD
from custos.intake.envelope import load_private_key

LOOKUPS = 16
WORKERS = 3


@pytest.mark.slow
def test_three_server_processes_answer_concurrent_lookups(demo: Harness) -> None:
    """16 signed lookups from 8 clients at once: every one answered, one case and one entry each."""
    before = demo.ledger.head().size
    demo.runtime.database.dispose()
    port = free_port()
    key = load_private_key(demo.keys[HEAD])
    url = demo.settings.api_public_url + "/v1/lookups"

    def lookup(row: dict[str, str]) -> httpx.Response:
        body = json.dumps({"agreement_id": DEMO_AGREEMENT, "agreement_version": 1, "records": [row]}).encode()
        headers = sign_request("POST", url, key=key, keyid=f"{DEMO_AGREEMENT}/{HEAD}", body=body,
                               content_type="application/json")  # fmt: skip
        return httpx.post(f"http://127.0.0.1:{port}/v1/lookups", content=body, headers=headers, timeout=120)

    with custos_serve(demo.directory, port, workers=WORKERS), ThreadPoolExecutor(8) as clients:
        responses = list(clients.map(lookup, valid_rows(demo, LOOKUPS, "WRK")))
    assert [r.status_code for r in responses] == [200] * LOOKUPS, [
        r.text for r in responses if r.status_code != 200
    ]
    cases = [result["case_number"] for r in responses for result in r.json()["results"]]
    assert len(cases) == LOOKUPS == len(set(cases))

    entries = [json.loads(demo.ledger.leaf(seq)) for seq in range(before, demo.ledger.head().size)]
    received = [e for e in entries if e["event_type"] == "request.received"]
    assert len(received) == LOOKUPS
    assert demo.ledger.audit().ok
