"""The API's operations as the requesting agency's engineers use them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time

import pytest
from fastapi.testclient import TestClient
from tests.unit.accounting.harness import OPERATOR, Harness, valid_rows
from tests.unit.api.client import SignedClient

from custos.accounting.release import Approval, approve_and_release
from custos.api.app import create_app
from custos.config import Settings
from custos.demo_setup import COMPONENT, DEMO_AGREEMENT
from custos.errors import StorageError
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, Outcome
from custos.policy.store import CourtOrder, set_hold

APPROVER = Approval(Actor(ActorKind.OPERATOR, "jane.doe"), "Disclosure Manager", "DO 11-2")


def _released_batch(api: SignedClient, demo: Harness) -> str:
    path = demo.write(valid_rows(demo, 3, "OPS"))
    accepted = api.submit(path, demo.sign(path))
    assert accepted.status_code == 202, accepted.text
    batch_id = str(accepted.json()["batch_id"])
    assert accepted.headers["Location"] == f"/v1/batches/{batch_id}"
    status = api.wait_for(batch_id)
    assert status["status"] == "awaiting_approval"
    assert status["counts"] is None, "no counts by code before release: they would disclose outcomes"
    approve_and_release(demo.ledger, batch_id, APPROVER)
    return batch_id


def test_results_leave_only_after_release_and_are_accounted(api: SignedClient, demo: Harness) -> None:
    path = demo.write(valid_rows(demo, 2, "EARLY"))
    early = api.submit(path, demo.sign(path)).json()["batch_id"]
    api.wait_for(early)
    refused = api.get(f"/v1/batches/{early}/results")
    assert refused.status_code == 409 and refused.json()["error"] == "NOT_RELEASED"

    batch_id = _released_batch(api, demo)
    assert api.get(f"/v1/batches/{batch_id}").json()["counts"] == {"CONFIRMED": 3}
    response = api.get(f"/v1/batches/{batch_id}/results?format=csv")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [set(row) for row in rows] == [{"record_id", "case_number", "code"}] * 3
    assert {row["code"] for row in rows} == {"CONFIRMED"}
    leaf = demo.entries()[-1]
    assert leaf["event_type"] == "results.transmitted" and leaf["seq"] == int(
        response.headers["Custos-Ledger-Seq"]
    )
    assert leaf["object"]["commitment"] == response.headers["Custos-Results-Digest"]
    assert leaf["details"]["endpoint"] == "demo-recipient-api" and leaf["request_sig"] is not None
    lines = api.get(f"/v1/batches/{batch_id}/results?format=jsonl").text.splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["CONFIRMED"] * 3


def test_a_legal_hold_stops_results_over_the_api(api: SignedClient, demo: Harness) -> None:
    batch_id = _released_batch(api, demo)
    with demo.ledger.transaction() as tx:
        set_hold(tx, DEMO_AGREEMENT, CourtOrder("D.D.C.", "25-cv-0001", dt.date(2025, 11, 21)), OPERATOR)
    response = api.get(f"/v1/batches/{batch_id}/results")
    assert response.status_code == 409 and response.json()["error"] == "BLOCKED_LEGAL_HOLD"
    assert demo.entries()[-1]["outcome"] == "denied"


def test_a_lookup_answers_rejections_at_once_and_nothing_else(api: SignedClient, demo: Harness) -> None:
    """The requester can fix its own defects at once; outcomes wait for release.

    R9 applies to lookups as to batches: 1 defective record in 21 (under 5 %) leaves the rest standing.
    """
    *good, bad = valid_rows(demo, 21, "MIX")
    bad = {**bad, "address_line1": "", "city": "", "state": ""}  # a ZIP code alone: R11
    response = api.lookup([*good, bad], signer=COMPONENT)
    assert response.status_code == 200, response.text
    codes = {r["record_id"]: r["code"] for r in response.json()["results"]}
    assert codes.pop(bad["record_id"]) == "REJECTED_ADDRESS_ZIP_ONLY"
    assert set(codes.values()) == {"PENDING_RELEASE"} and len(codes) == 20


def test_a_lookup_with_systemic_defects_is_rejected_whole(api: SignedClient, demo: Harness) -> None:
    good, bad = valid_rows(demo, 2, "SYS")
    response = api.lookup([good, {**bad, "address_line1": "Unknown Address"}])
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    codes = [r["code"] for r in response.json()["results"]]
    assert codes == ["REJECTED_BATCH_DEFECTIVE", "REJECTED_ADDRESS_PLACEHOLDER"]


def test_too_many_records_for_a_lookup(api: SignedClient, demo: Harness) -> None:
    response = api.lookup(valid_rows(demo, 26, "BIG"))
    assert response.status_code == 422 and response.json()["error"] == "REJ_BATCH_TOO_LARGE"


def test_a_malformed_lookup_body_is_refused_with_its_field(api: SignedClient, demo: Harness) -> None:
    body = json.dumps({"agreement_id": DEMO_AGREEMENT, "agreement_version": "one", "records": []}).encode()
    response = api.send("POST", "/v1/lookups", body=body, content_type="application/json")
    assert response.status_code == 422
    problem = response.json()
    assert problem["error"] == "REJ_MALFORMED_REQUEST" and "agreement_version" in problem["message"]
    assert demo.entries()[-1]["seq"] == problem["ledger_seq"]


def test_another_agreements_batch_is_not_found(api: SignedClient, demo: Harness) -> None:
    batch_id = _released_batch(api, demo)
    response = api.get(f"/v1/batches/{batch_id}", keyid=f"OTHER-AGREEMENT/{COMPONENT}")
    assert response.status_code == 401  # not registered at all
    missing = api.get("/v1/batches/B20260101-deadbeef")
    assert missing.status_code == 404 and demo.entries()[-1]["event_type"] == "access.read"
    assert demo.entries()[-1]["outcome"] == "denied"


def test_health_and_readiness(api: SignedClient) -> None:
    assert api.client.get("/health").json() == {"status": "ok", "checks": {}}
    ready = api.client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["master_index"] == "ok"


def test_a_client_certificate_header_counts_only_from_a_trusted_proxy(demo: Harness) -> None:
    """mTLS behind a proxy: the proxy's header is recorded; a client's own copy is stripped."""
    fingerprint = "ab" * 32
    for trusted, expected in (((), None), (("testclient",), fingerprint)):
        settings = Settings.load(demo.directory).model_copy(update={"api_trusted_proxies": trusted})
        with TestClient(create_app(settings)) as client:
            api = SignedClient(client, settings, demo.directory)
            response = api.get("/v1/cases/C0000000009", extra={"X-Client-Cert-SHA256": fingerprint})
            assert response.status_code == 404
        assert demo.entries()[-1]["channel"]["client_cert_sha256"] == expected


def test_a_database_outage_mid_batch_keeps_the_spooled_file(
    api: SignedClient, demo: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing accepted is lost: a batch whose processing hit a storage error resumes from its file."""
    from custos.accounting.pipeline import DecisionPipeline

    def outage(self: DecisionPipeline, batch_id: str) -> None:
        raise StorageError("database write failed and was rolled back: server closed the connection")

    monkeypatch.setattr(DecisionPipeline, "process", outage)
    path = demo.write(valid_rows(demo, 2, "OUT"))
    accepted = api.submit(path, demo.sign(path))
    assert accepted.status_code == 202, accepted.text
    batch_id = str(accepted.json()["batch_id"])
    spool = demo.settings.path(demo.settings.api_spool_dir)
    worker = api.client.app.state.ctx.worker  # type: ignore[attr-defined]
    assert worker.wait_idle(30)
    assert api.get(f"/v1/batches/{batch_id}").json()["status"] == "validating"
    assert [p for p in spool.iterdir() if p.is_file()], "the accepted batch's file was deleted"


def test_a_quiet_server_signs_the_unsigned_tail_of_the_ledger(demo: Harness) -> None:
    """Entries written just before a quiet spell are checkpointed by the server's timer, with no further write."""
    settings = Settings.load(demo.directory).model_copy(
        update={"checkpoint_interval_seconds": 1, "checkpoint_every_entries": 1_000_000}
    )
    with TestClient(create_app(settings)) as client:
        ledger = client.app.state.ctx.runtime.ledger  # type: ignore[attr-defined]
        for _ in range(20):  # an append right after a signing stays unsigned until the interval has run
            ledger.append(AuditEvent(EventType.ADMIN_ACTION, Actor.system("test"), "quiet", Outcome.SUCCESS))
            tail = ledger.head().size
            if ledger.checkpoints()[-1].size < tail:
                break
        assert ledger.checkpoints()[-1].size < tail
        deadline = time.monotonic() + 30
        while ledger.checkpoints()[-1].size < tail and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ledger.checkpoints()[-1].size == tail
    published = settings.path(settings.checkpoint_publish_dir) / "latest.checkpoint"
    assert published.read_text().splitlines()[1] == str(tail)
