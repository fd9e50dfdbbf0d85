"""A demo installation driven from tests: write a batch, sign it as an official, submit it, look inside."""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Iterable, Mapping
from itertools import cycle
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.backend import copy_installation

from custos.accounting.pipeline import BatchSummary, DecisionPipeline
from custos.accounting.review import decide_review, review_queue
from custos.accounting.tables import case_record
from custos.config import Settings
from custos.demo_setup import COMPONENT, DEMO_AGREEMENT, HEAD, create_demo_installation
from custos.digests import file_digest
from custos.intake.envelope import Envelope, load_private_key, sign_envelope
from custos.ledger.events import Actor, ActorKind
from custos.ledger.service import Ledger
from custos.matching.engine import MatchEngine
from custos.matching.index import MasterIndex
from custos.policy.agreement import REQUEST_ELEMENTS, AgreementSpec, parse_agreement
from custos.policy.store import activate_agreement, approve_agreement, load_agreement_version
from custos.runtime import Runtime

OPERATOR = Actor(ActorKind.OPERATOR, "test-operator")
REVIEWER = Actor(ActorKind.OPERATOR, "test-reviewer")


def build_template(directory: Path) -> Path:
    """A small demo installation to copy for each test (3,000 taxpayers, 80 requests)."""
    create_demo_installation(directory, taxpayers=3_000, requests=80, seed=3)
    return directory


class Harness:
    """One copy of the demo installation."""

    def __init__(self, template: Path, directory: Path) -> None:
        copy_installation(template, directory)
        self.directory = directory
        self.settings = Settings.load(directory)
        self.runtime = Runtime.open(self.settings)
        self.pipeline = DecisionPipeline(self.runtime)
        self.keys = {HEAD: directory / "demo" / "keys" / f"{HEAD}.pem",
                     COMPONENT: directory / "demo" / "keys" / f"{COMPONENT}.pem"}  # fmt: skip
        with (directory / "demo" / "batch.csv").open(newline="", encoding="utf-8") as handle:
            self.demo_rows = list(csv.DictReader(handle))
        with (directory / "demo" / "synth" / "truth.csv").open(newline="", encoding="utf-8") as handle:
            self.truth = {row["record_id"]: row for row in csv.DictReader(handle)}
        self._batches = 0

    @property
    def ledger(self) -> Ledger:
        return self.runtime.ledger

    def close(self) -> None:
        self.runtime.close()

    def review_all(self, batch_id: str, *, reviewer: Actor = REVIEWER) -> list[str]:
        """Close every held record of a batch as not confirmed, as a reviewer would (R65)."""
        with self.runtime.database.read() as connection:
            held = [
                i.case for i in review_queue(connection, self.ledger.clock.now()) if i.batch_id == batch_id
            ]
        index = MasterIndex(self.settings.path(self.settings.master_index))
        try:
            engine = MatchEngine(index)
            for number in held:
                decide_review(self.runtime, engine, number, reviewer, confirm_taxpayer=None,
                              reason="not the named person on the evidence")  # fmt: skip
        finally:
            index.close()
        return held

    def rows_of(self, category: str, count: int = 1) -> list[dict[str, str]]:
        """Demo rows whose synthetic truth is ``category`` (e.g. "exact": should be CONFIRMED)."""
        found = [
            dict(r) for r in self.demo_rows if self.truth.get(r["record_id"], {}).get("category") == category
        ]
        assert len(found) >= count, f"the demo batch has {len(found)} {category} rows, {count} wanted"
        return found[:count]

    def confirmable(self, count: int = 1) -> list[dict[str, str]]:
        """Rows the engine confirms exactly (same name, address and date of birth as the master)."""
        return self.rows_of("exact", count)

    def write(
        self, rows: Iterable[Mapping[str, str]], *, header: list[str] | None = None, name: str = ""
    ) -> Path:
        self._batches += 1
        path = self.directory / f"{name or f'batch-{self._batches}'}.csv"
        columns = header or list(REQUEST_ELEMENTS)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: row.get(c, "") for c in columns})
        return path

    def sign(self, path: Path, *, signer: str = HEAD, key: Path | None = None, **overrides: Any) -> Envelope:
        count = path.read_bytes().count(b"\n") - 1  # bytes: the file may be deliberately broken
        fields: dict[str, Any] = {
            "agreement_id": DEMO_AGREEMENT, "agreement_version": 1, "signer": signer,
            "batch_digest": file_digest(path), "batch_format": "csv", "record_count": count,
        }  # fmt: skip
        fields.update(overrides)
        return sign_envelope(load_private_key(key or self.keys.get(signer, self.keys[HEAD])), **fields)

    def submit(self, rows: Iterable[Mapping[str, str]], **sign: Any) -> BatchSummary:
        path = self.write(rows)
        return self.pipeline.submit(path, self.sign(path, **sign))

    def cases(self, batch_id: str) -> dict[str, Any]:
        """record_id -> the case row."""
        with self.runtime.database.read() as connection:
            rows = connection.execute(select(case_record).where(case_record.c.batch_id == batch_id)).all()
        return {row.record_id: row for row in rows}

    def codes(self, batch_id: str) -> dict[str, str]:
        """record_id -> internal code."""
        return {record_id: row.internal_code for record_id, row in self.cases(batch_id).items()}

    def entries(self) -> list[dict[str, Any]]:
        """Every ledger leaf, parsed."""
        size = self.ledger.head().size
        return [json.loads(self.ledger.leaf(seq)) for seq in range(size)]


def fresh(row: dict[str, str], tag: str, number: int, **changes: str) -> dict[str, str]:
    """A copy of a request row with its own record id, investigation, reason and officer."""
    investigation = f"HSI-{tag}-{number:06d}"
    return {
        **row,
        "record_id": f"{tag}-{number:04d}",
        "investigation_id": investigation,
        "reason": f"Serve process in criminal investigation {investigation}",
        "recipients": f"AGENT-{tag}-{number:04d}",
        **changes,
    }


def valid_rows(demo: Harness, count: int, tag: str, **changes: str) -> list[dict[str, str]]:
    """``count`` valid records of real taxpayers the engine confirms exactly, each its own request."""
    source = cycle(demo.confirmable(18))
    return [fresh(next(source), tag, number, **changes) for number in range(1, count + 1)]


def activate_variant(demo: Harness, text: str, version: int = 2) -> AgreementSpec:
    """Load ``text`` (the demo agreement, edited) as ``version``, approve it twice and activate it."""
    text = text.replace("version = 1", f"version = {version}", 1)
    spec = parse_agreement(tomllib.loads(text))
    with demo.ledger.transaction() as tx:
        load_agreement_version(tx, spec, Actor(ActorKind.OPERATOR, "admin"))
        approve_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "approver-1"))
        approve_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "approver-2"))
        activate_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "admin"))
    return spec
