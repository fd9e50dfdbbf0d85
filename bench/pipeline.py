"""The whole decision pipeline at scale, on PostgreSQL or SQLite, stage by stage.

    uv run python -m bench.pipeline --master 10000000 --requests 1000000 --review-sample 5000
    uv run python -m bench.pipeline --master 10000000 --requests 100000    # 48 min, PostgreSQL
    uv run python -m bench.pipeline --master 100000 --requests 10000 --backend sqlite   # 2.5 min

What it measures, and why: ``bench.scale`` times the matching engine alone (load and match
files); a real batch also goes through everything around it, and each of those steps writes
to the state database and the tamper-evident ledger: every record becomes a case, a stored
confidential payload and a ``record.validated`` entry, then a ``decision.made`` entry; every
held record is decided by a person (two inspections and a decision entry); every released
confirmation is a ``disclosure.made`` entry.  This bench runs one signed batch through all of
it, as an installation would, with the state and the ledger in PostgreSQL (production) or the
embedded SQLite, and reports where the time and memory go.

Stages, each a child process of this script (so its peak memory and CPU are its own):

1. ``setup``: ``custos init`` into an empty database, the demo officials' keys, the bench's
   agreement (the demo agreement with ``max_batch_records`` raised to fit the batch; the demo's
   own file is not changed), approved twice and activated, and a current safeguard report.
2. ``generate``: :func:`custos.synth.generate`, the master extract and the requests.
3. ``index``: :func:`custos.matching.index.build_index` with ``custos master load``'s defaults.
4. ``batch``: :func:`custos.demo_setup.write_demo_batch`, the statutory fields of every record.
5. ``sign``: the requesting official signs the batch file (``custos batch sign``).
6. ``accept``: :meth:`DecisionPipeline.accept`: envelope, digest, agreement, size, one entry.
7. ``process``: :meth:`DecisionPipeline.process`: validation, batch rules, matching and
   decision of every record (sub-phases timed by wrapping the pipeline's own steps).
8. ``review``: a reviewer works the queue through :mod:`custos.accounting.review` as the
   console does: open the evidence (:func:`gather_evidence`), decide, submit
   (:func:`decide_review`).  The bench's reviewer confirms only when exactly one taxpayer at
   the delivery point may be the named person, the engine calls that one the named person and
   the date of birth agrees exactly; every other held record is closed as not confirmed.  With
   ``--review-sample N`` only the first N held records are reviewed so; the rest are closed as
   not confirmed in bulk (:func:`decline_held`, ``custos review decline``), since a 1 M batch
   holds about 276,000 records for people, about 4.4 machine hours at 57 ms a review.
9. ``approve``: the first delegated official; above the bulk-notice threshold (1,000 records)
   this starts the 24-hour notice period (R7).
10. ``release``: a second official releases once the notice period has run; the ledger clock of
    this and the following stages is shifted past the end of the notice period (the ledger
    keeps its timestamps monotonic, so every later entry carries the shifted time).
11. ``results``: the results file is rendered and delivered to the registered endpoint.
12. ``export``: the auditor's bundle (:func:`custos.ledger.export.export_bundle`, which audits
    the whole ledger and signs a checkpoint first) and the officials' keys, as
    ``custos ledger export`` writes them.
13. ``verify``: the bundle's own ``ledger_verify.py``, run offline as an auditor would, with the
    officials' keys (so every envelope signature is checked again).

Per stage: wall time, CPU time (the child and the children it waited for, e.g. the matching
workers), peak resident memory of the child's whole process tree sampled from /proc every
0.25 s (each child imports custos: about 125 MiB of it is that), and afterwards the database
size and the ledger size.  On PostgreSQL it also samples, every 0.5 s, the server backends of
the application role connected to the bench database (from ``pg_stat_activity``): their summed
RSS and PSS (PSS shares the server's shared buffers fairly) and their CPU time.  Stages shorter
than a second or two may show none.  The scoring against the generator's truth file is done
last and is not timed.

A cost this bench found: :func:`custos.accounting.review.queue_item` used to list the WHOLE
review queue (two agreement queries per held record) to find one case, and the console's
review path called it three times, so reviewing a batch was quadratic in its size (0.5 s a
review at 2,000 requests on SQLite; 5.6 s at 10,000 and 55 s at 100,000 on PostgreSQL).
Commit f6987d8 looks the case up by its key; until then this bench reviewed with a stand-in
doing the same.  The PostgreSQL server is the one of ``.ci/postgres`` (``--owner-url`` and
``--app-url`` name another); the bench drops and creates its database ``custos_bench_pipeline``
at the start of a run and drops it at the end unless ``--keep``.

Figures go to ``bench/results/pipeline-<backend>-<master>-<requests>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url

from bench.proctree import tree_sum
from custos.accounting.pipeline import DecisionPipeline
from custos.accounting.release import Approval, approve_and_release, write_results
from custos.accounting.review import Evidence, decide_review, decline_held, gather_evidence, review_queue
from custos.accounting.safeguards import record_safeguards
from custos.accounting.tables import batch
from custos.config import Settings
from custos.demo_setup import (
    APPROVERS,
    DEFECTIVE,
    HEAD,
    agreement_text,
    write_demo_batch,
    write_demo_keys,
)
from custos.intake.envelope import (
    load_private_key,
    public_key_pem,
    read_envelope,
    sign_envelope,
    write_envelope,
)
from custos.intake.parse import count_rows, open_batch
from custos.ledger.events import Actor, ActorKind
from custos.ledger.export import export_bundle
from custos.ledger.models import parse_timestamp
from custos.ledger.publish import write_atomically
from custos.matching.engine import MatchEngine
from custos.matching.index import MasterIndex, build_index
from custos.matching.workers import relax_garbage_collector
from custos.policy.agreement import load_agreement
from custos.policy.keys import official_keys
from custos.policy.store import activate_agreement, approve_agreement, load_agreement_version
from custos.runtime import DatabaseTarget, Runtime, initialize
from custos.synth import generate

RESULTS = Path(__file__).resolve().parent / "results"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
DATABASE = "custos_bench_pipeline"
OWNER_URL = "postgresql+psycopg://custos_owner:custos-test-owner@127.0.0.1:5432/"
APP_URL = "postgresql+psycopg://custos_app:custos-test-app@127.0.0.1:5432/"
STAGES = ("setup", "generate", "index", "batch", "sign", "accept", "process", "review",
          "approve", "release", "results", "export", "verify")  # fmt: skip
PIPELINE_STAGES = ("sign", "accept", "process", "review", "approve", "release", "results", "export", "verify")
REUSABLE = ("generate", "index")  # with --reuse, kept from an earlier run with the same sizes and seed
REASON_CONFIRM = "bench reviewer: the only person at the delivery point who may be meant; DOB agrees"
REASON_NOT = "bench reviewer: the evidence does not single out the named person; not confirmed"
REASON_DECLINE = "bench reviewer: the rest of the queue is closed unreviewed (--review-sample); not confirmed"

P = ParamSpec("P")
R = TypeVar("R")


# --- the stages (each runs in a child process) -----------------------------------------------------


@dataclass
class Context:
    """What a stage child knows: its options and the run's directories and state."""

    args: argparse.Namespace
    workdir: Path
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def installation(self) -> Path:
        return self.workdir / "installation"

    @property
    def synth(self) -> Path:
        return self.workdir / "synth"

    @property
    def index(self) -> Path:
        return self.workdir / "master.idx"

    @property
    def batch_file(self) -> Path:
        return self.installation / "demo" / "batch.csv"

    @property
    def bundle(self) -> Path:
        return self.workdir / "auditor-bundle"

    def save(self, **values: Any) -> None:
        self.state.update(values)
        (self.workdir / "state.json").write_text(json.dumps(self.state, indent=2))


class ShiftedClock:
    """The system clock moved forward: the release comes after the bulk-notice period (R7)."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def now(self) -> dt.datetime:
        """The current UTC time plus the offset."""
        return dt.datetime.now(dt.UTC) + self.offset


def _runtime(ctx: Context) -> Runtime:

    offset = ctx.state.get("clock_offset_seconds")
    clock = ShiftedClock(dt.timedelta(seconds=offset)) if offset else None
    return Runtime.open(Settings.load(ctx.installation), clock)


def _timed(bucket: dict[str, float], name: str, method: Callable[P, R]) -> Callable[P, R]:
    """``method``, adding its wall time to ``bucket[name]``."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            bucket[name] = bucket.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def stage_setup(ctx: Context) -> dict[str, Any]:
    """``custos init``, keys, the bench agreement (approved twice, activated), safeguards."""

    args = ctx.args
    target = (
        DatabaseTarget(args.app_url + DATABASE, args.owner_url + DATABASE)
        if args.backend == "postgresql"
        else None
    )
    settings = initialize(ctx.installation, database=target)
    # The operator's configuration: the index built by the index stage, one matcher per CPU.
    with (ctx.installation / "custos.toml").open("a", encoding="utf-8") as config:
        config.write(f'master_index = "{ctx.index}"\nmatch_workers = {args.match_workers}\n')
    demo = settings.data_dir / "demo"
    head, component = write_demo_keys(demo / "keys")
    today = dt.datetime.now(dt.UTC).date()
    limit = max(100_000, args.requests + len(DEFECTIVE))
    demo_text = agreement_text(public_key_pem(head), public_key_pem(component), today)
    text_ = demo_text.replace("max_batch_records = 100000", f"max_batch_records = {limit}")
    if text_ == demo_text and limit != 100_000:
        raise SystemExit("the demo agreement no longer says max_batch_records = 100000; update the bench")
    (demo / "agreement.toml").write_text(text_, encoding="utf-8")
    runtime = _runtime(ctx)
    try:
        spec = load_agreement(demo / "agreement.toml")
        operator = Actor(ActorKind.OPERATOR, "bench-administrator")
        with runtime.ledger.transaction() as tx:
            load_agreement_version(tx, spec, operator)
            for approver in APPROVERS:
                approve_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, approver))
            activate_agreement(tx, spec.id, spec.version, operator)
            record_safeguards(tx, spec.parties.requester_code, spr_date=today - dt.timedelta(days=60),
                              open_findings=0, cap_approved=False,
                              actor=Actor(ActorKind.OPERATOR, "bench-safeguards-officer"))  # fmt: skip
        entries = runtime.ledger.head().size
    finally:
        runtime.close()
    ctx.save(agreement_id=spec.id, agreement_version=spec.version, max_batch_records=limit)
    return {"max_batch_records": limit, "ledger_entries": entries}


def stage_generate(ctx: Context) -> dict[str, Any]:
    """The synthetic master extract, requests and truth (custos synth)."""

    summary = generate(ctx.synth, master=ctx.args.master, requests=ctx.args.requests, seed=ctx.args.seed)
    return {"summary": repr(summary)}


def stage_index(ctx: Context) -> dict[str, Any]:
    """The DuckDB master index, with ``custos master load``'s defaults (4 GB, 2 threads, 1 worker/CPU)."""

    relax_garbage_collector()  # as custos master load does
    timings: dict[str, float] = {}
    info = build_index(ctx.synth / "master.csv", ctx.index, memory_limit="4GB", threads=2,
                       workers=os.cpu_count() or 1, timings=timings)  # fmt: skip
    return {"taxpayers": info.taxpayers, "source_rows": info.source_rows,
            "sub_stages_seconds": {k: round(v, 1) for k, v in timings.items()}}  # fmt: skip


def stage_batch(ctx: Context) -> dict[str, Any]:
    """The request batch with per-record statutory fields plus the defective records (F1, F2)."""

    ctx.batch_file.parent.mkdir(parents=True, exist_ok=True)
    records = write_demo_batch(ctx.synth / "requests.csv", ctx.batch_file, dt.datetime.now(dt.UTC).date())
    ctx.save(records=records)
    return {"records": records, "bytes": ctx.batch_file.stat().st_size}


def stage_sign(ctx: Context) -> dict[str, Any]:
    """The requesting official signs the batch into a detached envelope (``custos batch sign``)."""

    opened = open_batch(ctx.batch_file, required=())
    envelope = sign_envelope(
        load_private_key(ctx.installation / "demo" / "keys" / f"{HEAD}.pem"),
        agreement_id=ctx.state["agreement_id"], agreement_version=ctx.state["agreement_version"],
        signer=HEAD, batch_digest=opened.digest, batch_format=opened.format, record_count=count_rows(opened),
    )  # fmt: skip
    write_envelope(ctx.batch_file.with_name("batch.csv.envelope.json"), envelope)
    return {"record_count": envelope.record_count, "alg": envelope.alg}


def stage_accept(ctx: Context) -> dict[str, Any]:
    """Admission and acceptance: envelope, file digest, agreement, size; the batch row and one entry."""

    runtime = _runtime(ctx)
    try:
        envelope = read_envelope(ctx.batch_file.with_name("batch.csv.envelope.json"))
        accepted = DecisionPipeline(runtime).accept(ctx.batch_file, envelope)
        entries = runtime.ledger.head().size
    finally:
        runtime.close()
    ctx.save(batch_id=accepted.batch_id)
    return {"batch_id": accepted.batch_id, "records": accepted.record_count, "ledger_entries": entries}


def stage_process(ctx: Context) -> dict[str, Any]:
    """Validation, batch rules, matching and decision of every record."""

    runtime = _runtime(ctx)
    phases: dict[str, float] = {}
    try:
        pipeline = DecisionPipeline(runtime)
        for name in ("_validate", "_batch_rules", "_match", "_record_decisions", "_finish"):
            setattr(pipeline, name, _timed(phases, name.strip("_"), getattr(pipeline, name)))
        summary = pipeline.process(ctx.state["batch_id"])
        entries = runtime.ledger.head().size
    finally:
        runtime.close()
    ctx.save(after_process=summary.by_code)
    phases["match_excluding_decision_writes"] = phases["match"] - phases.get("record_decisions", 0.0)
    return {"status": summary.status, "records": summary.records, "by_response": summary.by_code,
            "match_workers": pipeline.workers, "ledger_entries": entries,
            "phases_seconds": {k: round(v, 1) for k, v in phases.items()}}  # fmt: skip


def _reviewer_choice(evidence: Evidence) -> int | None:
    """The bench reviewer: confirm only one possible person who is the named one, with the same DOB."""
    ids = evidence.confirmable_ids
    if len(ids) != 1:
        return None
    chosen = evidence.evidence_for(ids[0])
    if chosen is None or not chosen.named_person:
        return None
    return ids[0] if {f.field: f.level for f in chosen.fields}.get("dob") == "exact" else None


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"count": len(ordered), "mean_ms": round(sum(ordered) / len(ordered), 1), "p50_ms": at(0.5),
            "p99_ms": at(0.99), "max_ms": round(ordered[-1], 1)}  # fmt: skip


def stage_review(ctx: Context) -> dict[str, Any]:
    """Every held record decided by a person, as in the console: evidence, decision, submission."""
    reviewer = Actor(ActorKind.OPERATOR, "bench-reviewer")
    runtime = _runtime(ctx)
    index = MasterIndex(ctx.index)
    engine = MatchEngine(index)
    started = time.perf_counter()
    try:
        with runtime.database.read() as connection:  # the reviewer's queue page
            queue = review_queue(connection, runtime.ledger.clock.now())
        listing = time.perf_counter() - started
        held = [item for item in queue if item.batch_id == ctx.state["batch_id"]]
        print(f"review queue: {len(held):,} held records listed in {listing:.1f} s", flush=True)
        sample = held if ctx.args.review_sample is None else held[: ctx.args.review_sample]
        latencies: list[float] = []
        codes: Counter[str] = Counter()
        for number, item in enumerate(sample):
            begun = time.perf_counter()
            evidence = gather_evidence(runtime, engine, item.case, reviewer)  # the case page
            choice = _reviewer_choice(evidence)
            codes[decide_review(runtime, engine, item.case, reviewer, confirm_taxpayer=choice,
                                reason=REASON_CONFIRM if choice else REASON_NOT)] += 1  # fmt: skip
            latencies.append((time.perf_counter() - begun) * 1000)
            if (number + 1) % 1000 == 0:
                print(f"  {number + 1:,} / {len(sample):,} reviewed, {time.perf_counter() - started:.0f} s",
                      flush=True)  # fmt: skip
        declining = time.perf_counter()
        declined = decline_held(runtime, ctx.state["batch_id"], reviewer, REASON_DECLINE)
        declined_seconds = time.perf_counter() - declining
        entries = runtime.ledger.head().size
    finally:
        index.close()
        runtime.close()
    return {"held": len(held), "reviewed_one_by_one": len(sample), "queue_listing_seconds": round(listing, 2),
            "codes": dict(codes), "per_review": _percentiles(latencies), "declined_in_bulk": declined,
            "decline_seconds": round(declined_seconds, 1), "ledger_entries": entries}  # fmt: skip


def _approval(first: bool) -> Approval:

    if first:
        return Approval(Actor(ActorKind.OPERATOR, "bench-disclosure-manager"), "Disclosure Manager",
                        "Delegation Order 11-2 (bench)")  # fmt: skip
    return Approval(Actor(ActorKind.OPERATOR, "bench-deputy-disclosure-manager"),
                    "Deputy Disclosure Manager", "Delegation Order 11-2 (bench)")  # fmt: skip


def _batch_status(ctx: Context, runtime: Runtime) -> dict[str, Any]:

    with runtime.database.read() as connection:
        row = connection.execute(select(batch).where(batch.c.batch_id == ctx.state["batch_id"])).one()
    return {"status": row.status, "notice_until": row.notice_until}


def stage_approve(ctx: Context) -> dict[str, Any]:
    """The first delegated official's approval (R35); above the threshold it starts the notice (R7)."""

    counts, status, entries = _approve(ctx, first=True)
    ctx.save(approved_counts=counts, **status)
    return {"counts": counts, **status, "ledger_entries": entries}


def _approve(ctx: Context, *, first: bool) -> tuple[dict[str, int], dict[str, Any], int]:
    """One official's approval: the counts released, the batch's status, the ledger size after."""
    runtime = _runtime(ctx)
    try:
        counts = approve_and_release(runtime.ledger, ctx.state["batch_id"], _approval(first=first))
        return counts, _batch_status(ctx, runtime), runtime.ledger.head().size
    finally:
        runtime.close()


def stage_release(ctx: Context) -> dict[str, Any]:
    """A second official releases after the notice period: one disclosure entry per confirmation."""

    if ctx.state["status"] == "released":
        return {"skipped": "released by the first approval (at or below the bulk-notice threshold)"}
    wait = parse_timestamp(ctx.state["notice_until"]) - dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    ctx.save(clock_offset_seconds=round(wait.total_seconds()))
    counts, status, entries = _approve(ctx, first=False)
    ctx.save(released_counts=counts, **status)
    return {"counts": counts, **status, "clock_offset_hours": round(wait.total_seconds() / 3600, 2),
            "ledger_entries": entries}  # fmt: skip


def stage_results(ctx: Context) -> dict[str, Any]:
    """The results file rendered and delivered to the registered endpoint (R37-R40)."""

    runtime = _runtime(ctx)
    try:
        out = write_results(runtime.ledger, ctx.state["batch_id"],
                            Actor(ActorKind.OPERATOR, "bench-disclosure-manager"),
                            root=runtime.settings.data_dir)  # fmt: skip
        entries = runtime.ledger.head().size
    finally:
        runtime.close()
    ctx.save(results_file=str(out))
    return {"bytes": out.stat().st_size, "ledger_entries": entries}


def stage_export(ctx: Context) -> dict[str, Any]:
    """The auditor's bundle and the officials' keys, as ``custos ledger export`` writes them."""

    runtime = _runtime(ctx)
    try:
        result = export_bundle(runtime.ledger, ctx.bundle, Actor(ActorKind.AUDITOR, "bench-auditor"))
        with runtime.database.read() as connection:
            officials = official_keys(connection)
        write_atomically(ctx.bundle / "official-keys.json", (json.dumps(officials, indent=2) + "\n").encode())
        # The auditor's own copy of the log's key, received out of band.
        (ctx.workdir / "auditor-trusted-keys.txt").write_text(f"{runtime.ledger.signer.vkey}\n")
    finally:
        runtime.close()
    size = sum(path.stat().st_size for path in ctx.bundle.rglob("*") if path.is_file())
    return {"entries": result.entries, "checkpoints": result.checkpoints, "audited": result.audited,
            "bundle_bytes": size}  # fmt: skip


CHILD_STAGES: dict[str, Callable[[Context], dict[str, Any]]] = {
    "setup": stage_setup, "generate": stage_generate, "index": stage_index, "batch": stage_batch,
    "sign": stage_sign, "accept": stage_accept, "process": stage_process, "review": stage_review,
    "approve": stage_approve, "release": stage_release, "results": stage_results, "export": stage_export,
}  # fmt: skip


def run_child(args: argparse.Namespace) -> None:
    """Run one stage in this process and write its figures to ``stages/<name>.json``."""
    workdir = Path(args.workdir)
    state_file = workdir / "state.json"
    state = json.loads(state_file.read_text()) if state_file.is_file() else {}
    context = Context(args, workdir, state)
    if args.stage not in args.profile.split(","):
        figures = CHILD_STAGES[args.stage](context)
    else:  # diagnosis only: the profiler slows the stage down
        profiler = cProfile.Profile()
        figures = profiler.runcall(CHILD_STAGES[args.stage], context)
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(40)
        (workdir / "logs" / f"{args.stage}.profile.txt").write_text(report.getvalue())
    (workdir / "stages" / f"{args.stage}.json").write_text(json.dumps(figures, indent=2))


# --- the parent: stages as child processes, sampled --------------------------------------------------


class Backend:
    """The database under test, as the parent sees it: size, ledger size, server backends."""

    def __init__(self, args: argparse.Namespace, installation: Path) -> None:
        self.kind = args.backend
        self.installation = installation
        self.owner: Engine | None = None
        self.bench: Engine | None = None
        self.app_role = make_url(args.app_url).username
        if self.kind == "postgresql":
            self.owner = create_engine(args.owner_url + "postgres", isolation_level="AUTOCOMMIT")
            self.bench = create_engine(args.owner_url + DATABASE, pool_size=1, pool_pre_ping=True)

    def recreate(self) -> None:
        """Drop and create the bench database (PostgreSQL); the parent owns it."""
        if self.owner is None:
            return
        with self.owner.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))

    def drop(self) -> None:
        if self.owner is None or self.bench is None:
            return
        self.bench.dispose()
        with self.owner.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))

    def size_bytes(self) -> int:
        if self.owner is not None:
            with self.owner.connect() as connection:
                return int(connection.execute(text(f"SELECT pg_database_size('{DATABASE}')")).scalar_one())
        return sum(path.stat().st_size for path in self.installation.glob("custos.db*"))

    def ledger_entries(self) -> int | None:
        query = "SELECT tree_size FROM ledger_head WHERE id = 1"
        try:
            if self.bench is not None:
                with self.bench.connect() as connection:
                    return connection.execute(text(query)).scalar()
            database = self.installation / "custos.db"
            if not database.exists():
                return None
            reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            try:
                row = reader.execute(query).fetchone()
            finally:
                reader.close()
            return int(row[0]) if row else 0
        except Exception:  # no schema yet
            return None

    def table_sizes(self) -> dict[str, int]:
        if self.bench is None:
            return {}
        with self.bench.connect() as connection:
            rows = connection.execute(text(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_catalog.pg_statio_user_tables "
                "ORDER BY 2 DESC LIMIT 8"
            )).all()  # fmt: skip
        return {name: int(size) for name, size in rows}

    def backend_pids(self) -> list[int]:
        if self.owner is None:
            return []
        with self.owner.connect() as connection:
            rows = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND usename = :role"),
                {"db": DATABASE, "role": self.app_role},
            )
            return [int(pid) for (pid,) in rows]

    def close(self) -> None:
        for engine in (self.owner, self.bench):
            if engine is not None:
                engine.dispose()


def _proc_figures(pid: int) -> tuple[int, int, int] | None:
    """RSS bytes, PSS bytes and CPU ticks of one process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        pss = 0
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        return None
    return int(fields[21]) * PAGE_SIZE, pss, int(fields[11]) + int(fields[12])


@dataclass
class Sampler:
    """Peak memory of a child's process tree; on PostgreSQL, the bench database's backends too."""

    root: int
    backend: Backend
    peak_tree: int = 0
    peak_pg_rss: int = 0
    peak_pg_pss: int = 0
    pg_ticks: dict[int, int] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        rounds = 0
        while not self.done.is_set():
            self.peak_tree = max(self.peak_tree, tree_sum(self.root, 21) * PAGE_SIZE)
            if self.backend.owner is not None and rounds % 2 == 0:
                self._sample_postgres()
            rounds += 1
            self.done.wait(0.25)

    def _sample_postgres(self) -> None:
        try:
            pids = self.backend.backend_pids()
        except Exception:  # the server is busy or restarting: skip this sample
            return
        rss = pss = 0
        for pid in pids:
            found = _proc_figures(pid)
            if found is None:
                continue
            rss, pss = rss + found[0], pss + found[1]
            self.pg_ticks[pid] = max(self.pg_ticks.get(pid, 0), found[2])
        self.peak_pg_rss, self.peak_pg_pss = max(self.peak_pg_rss, rss), max(self.peak_pg_pss, pss)


def run_stage(name: str, argv: list[str], workdir: Path, backend: Backend, records: int) -> dict[str, Any]:
    """Run one stage as a child process and measure it; exit if it fails."""
    logs = workdir / "logs"
    started = time.perf_counter()
    with (logs / f"{name}.out").open("w") as out, (logs / f"{name}.err").open("w") as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        sampler = Sampler(process.pid, backend)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        _, status, usage = os.wait4(process.pid, 0)
        sampler.done.set()
        thread.join()
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"stage {name} failed (status {status}); see {logs / name}.err")
    figures: dict[str, Any] = {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_tree_rss_mib": round(sampler.peak_tree / 2**20),
        "records_per_second": round(records / seconds) if records and seconds else None,
        "database_mib": round(backend.size_bytes() / 2**20, 1),
        "ledger_entries": backend.ledger_entries(),
    }
    if backend.owner is not None:
        figures["postgres_backends"] = {
            "peak_rss_mib": round(sampler.peak_pg_rss / 2**20),
            "peak_pss_mib": round(sampler.peak_pg_pss / 2**20),
            "cpu_seconds": round(sum(sampler.pg_ticks.values()) / TICKS, 1),
        }  # fmt: skip
    detail = workdir / "stages" / f"{name}.json"
    if detail.is_file():
        figures["detail"] = json.loads(detail.read_text())
    print(f"{name}: {json.dumps({k: v for k, v in figures.items() if k != 'detail'})}", flush=True)
    return figures


def score(results_file: Path, truth_file: Path) -> dict[str, Any]:
    """Released codes against the generator's truth (not timed): false confirmations by category."""
    with truth_file.open(newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: (row["category"], row["expected_code"]) for row in csv.DictReader(handle)}
    false: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    confirmed = should = 0
    with results_file.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            codes[row["code"]] += 1
            category, expected = truth.get(row["record_id"], ("defective", "REJECTED"))
            should += expected == "CONFIRMED"
            if row["code"] == "CONFIRMED":
                confirmed += expected == "CONFIRMED"
                if expected != "CONFIRMED":
                    false[category] += 1
    return {"released_codes": dict(sorted(codes.items())), "false_confirmations": sum(false.values()),
            "false_confirmations_by_category": dict(false),
            "recall": round(confirmed / should, 4) if should else None}  # fmt: skip


def _stage_argv(name: str, args: argparse.Namespace, workdir: Path) -> list[str]:
    if name == "verify":
        bundle = workdir / "auditor-bundle"
        return [sys.executable, str(bundle / "ledger_verify.py"), "bundle", str(bundle),
                "--keys", str(workdir / "auditor-trusted-keys.txt"),
                "--official-keys", str(bundle / "official-keys.json")]  # fmt: skip
    return [sys.executable, "-m", "bench.pipeline", "--stage", name, "--workdir", str(workdir),
            "--backend", args.backend, "--master", str(args.master), "--requests", str(args.requests),
            "--seed", str(args.seed), "--match-workers", str(args.match_workers),
            "--owner-url", args.owner_url, "--app-url", args.app_url, "--profile", args.profile,
            *([] if args.review_sample is None else ["--review-sample", str(args.review_sample)]),
            ]  # fmt: skip


def _prepare_workdir(args: argparse.Namespace, workdir: Path) -> set[str]:
    """A clean working directory; with --reuse, the synthetic files and index of an identical run stay."""
    marker = {"master": args.master, "requests": args.requests, "seed": args.seed}
    marker_file = workdir / "reusable.json"
    reused: set[str] = set()
    if (
        args.reuse
        and marker_file.is_file()
        and json.loads(marker_file.read_text()) == marker
        and (workdir / "master.idx").is_file()
    ):
        reused = set(REUSABLE)
    for entry in workdir.glob("*") if workdir.exists() else ():
        if reused and entry.name in {"synth", "master.idx", "reusable.json"}:
            continue
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for sub in ("logs", "stages"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    return reused


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--master", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workdir", type=Path, help="default: bench/results/pipeline/<backend>-<sizes>")
    parser.add_argument("--keep", action="store_true", help="keep the working directory and the database")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the synthetic files and index of a kept run, same sizes")  # fmt: skip
    parser.add_argument("--match-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--review-sample", type=int, default=None,
                        help="review only this many held records one by one, as the console "
                             "does, and decline the rest in bulk (custos review decline); default: all",
                        )  # fmt: skip
    parser.add_argument("--owner-url", default=OWNER_URL, help="PostgreSQL owner URL without the database")
    parser.add_argument("--app-url", default=APP_URL, help="PostgreSQL application URL without the database")
    parser.add_argument("--profile", default="", help="comma-separated stages to run under cProfile")
    parser.add_argument("--stage", choices=tuple(CHILD_STAGES), help=argparse.SUPPRESS)
    return parser


def run_all(args: argparse.Namespace, workdir: Path, backend: Backend, reused: set[str]) -> dict[str, Any]:
    """Every stage in order, then the figures of the whole run."""
    records = args.requests
    stages: dict[str, Any] = {}
    began = time.perf_counter()
    for stage in STAGES:
        if stage in reused:
            stages[stage] = {"reused": "kept from an earlier run; not timed in this one"}
            continue
        count = {"setup": 0, "review": 0}.get(stage, records)
        stages[stage] = run_stage(stage, _stage_argv(stage, args, workdir), workdir, backend, count)
        if stage == "batch":
            records = stages[stage]["detail"]["records"]
        if stage == "review":
            held = stages[stage]["detail"]["held"]
            stages[stage]["records_per_second"] = round(held / stages[stage]["seconds"]) if held else None
    total = time.perf_counter() - began
    (workdir / "reusable.json").write_text(
        json.dumps({"master": args.master, "requests": args.requests, "seed": args.seed})
    )
    verify_report = json.loads((workdir / "logs" / "verify.out").read_text())
    state = json.loads((workdir / "state.json").read_text())
    pipeline = [s["seconds"] for k, s in stages.items() if k in PIPELINE_STAGES and "seconds" in s]
    return {
        "master": args.master, "requests": args.requests, "records": records, "seed": args.seed,
        "backend": args.backend, "match_workers": args.match_workers,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * PAGE_SIZE / 2**30, 1)},
        "database": _database_facts(backend, args),
        "stages": stages,
        "pipeline_seconds": round(sum(pipeline), 1),
        "total_seconds": round(total, 1),
        "decisions_after_process": state.get("after_process"),
        "released_counts": state.get("released_counts") or state.get("approved_counts"),
        "ledger_entries": backend.ledger_entries(),
        "database_mib": round(backend.size_bytes() / 2**20, 1),
        "largest_tables_mib": {k: round(v / 2**20, 1) for k, v in backend.table_sizes().items()},
        "verify": {k: verify_report.get(k) for k in ("ok", "entries", "checkpoints_verified",
                                                     "envelope_signatures_verified", "failures")},
        "score": score(Path(state["results_file"]), workdir / "synth" / "truth.csv"),
    }  # fmt: skip


def main() -> None:
    args = _parser().parse_args()
    if args.stage:
        run_child(args)
        return
    name = f"{args.backend}-{args.master}-{args.requests}"
    workdir = (args.workdir or RESULTS / "pipeline" / name).resolve()
    args.workdir = workdir
    reused = _prepare_workdir(args, workdir)
    backend = Backend(args, workdir / "installation")
    backend.recreate()
    try:
        figures = run_all(args, workdir, backend, reused)
        out = RESULTS / f"pipeline-{name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)  # bench/results is not in git: a fresh clone lacks it
        out.write_text(json.dumps(figures, indent=2))
        print(json.dumps({k: v for k, v in figures.items() if k != "stages"}, indent=2))
        print(f"figures in {out}")
        if not args.keep:
            backend.drop()
            shutil.rmtree(workdir)
    finally:
        backend.close()


def _database_facts(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    if backend.owner is None:
        return {"kind": "sqlite", "version": sqlite3.sqlite_version, "synchronous": "FULL", "journal": "WAL"}
    with backend.owner.connect() as connection:
        facts = {setting: connection.execute(text(f"SHOW {setting}")).scalar()
                 for setting in ("server_version", "fsync", "synchronous_commit", "full_page_writes",
                                 "shared_buffers", "wal_level")}  # fmt: skip
    return {"kind": "postgresql", "url": make_url(args.app_url + DATABASE).render_as_string(), **facts}


if __name__ == "__main__":
    main()
