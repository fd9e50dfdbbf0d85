"""A server killed with SIGKILL mid-batch loses no accepted record (issue 6).

The real ``custos serve`` runs in a child process; a batch is uploaded, the
server is killed once some records are validated and before all are decided,
and a new server is started on the same data directory.  The batch must be
resumed to the approval hold with exactly one case, one validation and one
decision per record, or, when its file is gone, reported failed; never left
half-answered.
"""

from __future__ import annotations

import base64
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import func, select, update
from tests.served import custos_serve, free_port
from tests.unit.accounting.harness import Harness, valid_rows

from custos.accounting.tables import batch, case_record
from custos.api.client import sign_request
from custos.cli import main
from custos.demo_setup import DEMO_AGREEMENT, HEAD
from custos.intake.envelope import load_private_key

RECORDS = 6_000


def _upload(demo: Harness, port: int, path: Path) -> str:
    envelope = demo.sign(path)
    body = path.read_bytes()
    headers = sign_request("POST", demo.settings.api_public_url + "/v1/batches",
                           key=load_private_key(demo.keys[HEAD]), keyid=f"{DEMO_AGREEMENT}/{HEAD}", body=body,
                           content_type="text/csv")  # fmt: skip
    headers["Custos-Envelope"] = base64.urlsafe_b64encode(envelope.to_json().encode()).rstrip(b"=").decode()
    response = httpx.post(f"http://127.0.0.1:{port}/v1/batches", content=body, headers=headers, timeout=60)
    assert response.status_code == 202, response.text
    return str(response.json()["batch_id"])


def _progress(demo: Harness, batch_id: str) -> tuple[str, int, int]:
    with demo.runtime.database.read() as connection:
        status = connection.execute(select(batch.c.status).where(batch.c.batch_id == batch_id)).scalar_one()
        cases = connection.execute(
            select(func.count()).select_from(case_record).where(case_record.c.batch_id == batch_id)
        ).scalar_one()
        decided = connection.execute(
            select(func.count())
            .select_from(case_record)
            .where(case_record.c.batch_id == batch_id, case_record.c.stage == "decided")
        ).scalar_one()
    return status, cases, decided


def _kill_mid_batch(demo: Harness, port: int) -> str:
    path = demo.write(valid_rows(demo, RECORDS, "KILL"))
    with custos_serve(demo.directory, port) as server:
        batch_id = _upload(demo, port, path)
        deadline = time.monotonic() + 120
        while True:
            status, cases, decided = _progress(demo, batch_id)
            if cases > 0:
                os.kill(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
                break
            assert status == "validating" and time.monotonic() < deadline, (status, cases)
            time.sleep(0.01)
    status, cases, decided = _progress(demo, batch_id)
    assert status == "validating" and decided < RECORDS, "the kill must land mid-batch"
    return batch_id


def _wait_until_done(demo: Harness, batch_id: str) -> str:
    deadline = time.monotonic() + 300
    while True:
        status, _, _ = _progress(demo, batch_id)
        if status != "validating":
            return status
        assert time.monotonic() < deadline, "the batch was not resumed"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_killed_batch_resumes_with_every_record_answered_once(demo: Harness) -> None:
    port = free_port()
    batch_id = _kill_mid_batch(demo, port)
    with custos_serve(demo.directory, port):
        status = _wait_until_done(demo, batch_id)
    assert status == "awaiting_approval"
    cases = demo.cases(batch_id)
    with demo.runtime.database.read() as connection:
        rows = connection.execute(select(case_record).where(case_record.c.batch_id == batch_id)).all()
    assert len(cases) == len(rows) == RECORDS
    assert sorted(row.row_number for row in rows) == list(range(1, RECORDS + 1))
    assert all(row.stage == "decided" and row.decided_seq is not None for row in rows)
    numbers = {f"C{row.case_id:010d}" for row in rows}
    entries = demo.entries()
    validated = Counter(e["object"]["id"] for e in entries if e["event_type"] == "record.validated"
                        and e["object"]["id"] in numbers)  # fmt: skip
    decided = Counter(e["object"]["id"] for e in entries if e["event_type"] == "decision.made"
                      and e["object"]["id"] in numbers)  # fmt: skip
    assert set(validated) == set(decided) == numbers
    assert max(validated.values()) == max(decided.values()) == 1, "no record validated or decided twice"
    assert any(e["action"] == "resume_batch" and e["object"]["id"] == batch_id for e in entries)
    assert demo.ledger.audit().ok
    assert not any((demo.directory / "spool").glob("upload-*")), "the spool file is removed afterwards"


@pytest.mark.slow
def test_a_killed_batch_whose_file_is_gone_is_reported_failed(demo: Harness) -> None:
    port = free_port()
    batch_id = _kill_mid_batch(demo, port)
    for leftover in (demo.directory / "spool").glob("upload-*"):
        leftover.unlink()
    with custos_serve(demo.directory, port):
        status = _wait_until_done(demo, batch_id)
    assert status == "failed"
    failed = [e for e in demo.entries() if e["action"] == "fail_batch" and e["object"]["id"] == batch_id]
    assert len(failed) == 1 and failed[0]["reason_code"] == "BATCH_FAILED"


def test_a_retired_hosts_batch_is_taken_over_only_when_an_operator_says_so(
    demo: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch claimed on another host is left alone until that host is declared retired, then resumed."""
    rows = valid_rows(demo, 5, "retired")
    path = demo.write(rows)
    accepted = demo.pipeline.accept(path, demo.sign(path))
    with demo.runtime.database.write() as connection:  # as if accepted by a process on host "web-7"
        connection.execute(
            update(batch).where(batch.c.batch_id == accepted.batch_id).values(claimed_by="web-7:4242:99")
        )
    argv = ["--dir", str(demo.directory), "batch", "recover"]
    assert main(argv) == 0 and "No interrupted batches." in capsys.readouterr().out
    assert _progress(demo, accepted.batch_id) == ("validating", 0, 0)
    assert main([*argv, "--retired-host", "web-7"]) == 0
    assert f"Batch {accepted.batch_id} resumed: awaiting_approval" in capsys.readouterr().out
    assert _progress(demo, accepted.batch_id) == ("awaiting_approval", 5, 5)
    takeover = [e for e in demo.entries() if e["action"] == "resume_batch"][-1]
    assert takeover["object"]["id"] == accepted.batch_id
    assert takeover["details"]["previous_claim"] == "web-7:4242:99"
    assert takeover["details"]["retired_host"] == "web-7"
