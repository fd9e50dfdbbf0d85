"""Interactive lookups over HTTP: a load generator on loopback against ``custos serve``.

    uv run python -m bench.api --taxpayers 1000000 --workers 1 --seconds 20
    uv run python -m bench.api --taxpayers 20000 --seconds 5 --warmup 1    # smoke run, about a minute

Builds (or reuses, under ``bench/results/api/`` or ``--data DIR``) a demo installation: the demo
agreement with its officials' keys (:func:`custos.demo_setup.create_demo_installation`) and a
synthetic ``--taxpayers`` master index.  Each run copies it to a scratch directory, so every run
starts from the same ledger and case tables, and starts ``custos serve`` on it as a child process.

Then, for 1, 8 and 64 concurrent clients in turn, each client thread sends signed single-record
``POST /v1/lookups`` back to back (a closed loop: the next request leaves when the last is
answered), first for ``--warmup`` seconds that are not counted, then for ``--seconds``.  Signing
(RFC 9421, Ed25519, as the agency head ``dhs-secretary``) is done by the client before the clock
starts; latency runs from sending the request to having read the whole answer.  Every record is a
new request with its own record id, investigation, reason and officer, for a taxpayer the engine
confirms exactly, so no agreement limit (R18 repeated reasons, R22 engagement cap, R24 duplicates)
turns it away and each one goes through matching to a decision.

Afterwards the ledger is read back: exactly one ``request.received`` (action ``lookup``) per
answered request, no refusal entries, one case per request, and a full audit.  With
``--profile N`` the bench also times N lookups in-process, stage by stage, to show where the time
goes.  ``--nodelay`` starts the server with TCP_NODELAY restored on its connections, which uvicorn
leaves off when it runs several workers (see ``NODELAY_SERVE``).  Setup and server start-up are
reported apart from the figures, which go to ``bench/results/api-<taxpayers>-w<workers>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import inspect
import json
import logging
import os
import platform
import pstats
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from io import StringIO
from pathlib import Path
from typing import IO, Any

import duckdb
import httpx2 as httpx
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bench.proctree import tree_sum
from custos.accounting import pipeline as pipeline_module
from custos.accounting.pipeline import DecisionPipeline
from custos.accounting.tables import case_record
from custos.api.app import ApiContext, create_app
from custos.api.client import sign_request
from custos.config import Settings
from custos.demo_setup import DEMO_AGREEMENT, HEAD, create_demo_installation
from custos.intake.envelope import PrivateKey, load_private_key
from custos.ledger.events import EventType
from custos.ledger.tables import ledger_entry
from custos.matching import batch as batch_module
from custos.matching.index import MasterIndex
from custos.policy.codes import response_code
from custos.runtime import Runtime
from custos.storage import database as database_module
from custos.storage.database import Database

RESULTS = Path(__file__).resolve().parent / "results"
PATH = "/v1/lookups"
LEVELS = (1, 8, 64)
RATE_PER_MINUTE = 10_000_000  # the per-key limit (default 1,200) would otherwise throttle the load
REFUSALS = (EventType.REQUEST_REJECTED_AUTH, EventType.REQUEST_REJECTED, EventType.REQUEST_REPLAY_DETECTED)
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


# --- the installation ----------------------------------------------------------------------------------


def prepare_template(directory: Path, taxpayers: int, requests: int, seed: int) -> float | None:
    """Build the demo installation once; seconds taken, or None when an existing one is reused."""
    if (directory / "custos.toml").is_file():
        return None
    started = time.perf_counter()
    create_demo_installation(directory, taxpayers=taxpayers, requests=requests, seed=seed)
    return round(time.perf_counter() - started, 1)


def scratch_copy(template: Path, target: Path) -> Path:
    """A copy of the installation (without the synthetic source files) that one run may change."""
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("synth", "spool", "*.csv"))
    return target


def confirmable_rows(template: Path, mix: str) -> list[dict[str, str]]:
    """Demo request rows to cycle through: those the synthetic truth calls "exact", or every one."""
    demo = template / "demo"
    with (demo / "synth" / "truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: row["category"] for row in csv.DictReader(handle)}
    with (demo / "batch.csv").open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["record_id"] in truth]
    if mix == "exact":
        rows = [row for row in rows if truth[row["record_id"]] == "exact"]
    if not rows:
        raise SystemExit(f"{demo / 'batch.csv'} has no usable rows")
    return rows


class Records:
    """New request records, safe to share between client threads.

    Each has its own record id, investigation, reason and officer: the agreement's limits count
    repeated reasons (R18), investigations per officer (R22) and duplicates (R24) across requests.
    """

    def __init__(self, pool: list[dict[str, str]], tag: str) -> None:
        self._pool = pool
        self.tag = tag
        self._issued = 0
        self._lock = threading.Lock()

    def next(self) -> dict[str, str]:
        """The next record."""
        with self._lock:
            number = self._issued
            self._issued += 1
        investigation = f"HSI-{self.tag}-{number:07d}"
        return {
            **self._pool[number % len(self._pool)],
            "record_id": f"{self.tag}-{number:07d}",
            "investigation_id": investigation,
            "reason": f"Serve process in criminal investigation {investigation}",
            "recipients": f"AGENT-{self.tag}-{number:07d}",
        }


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs the lookups, and the URL they sign (the server's ``api_public_url``)."""

    key: PrivateKey
    keyid: str
    base_url: str

    def request(self, records: Records) -> tuple[bytes, dict[str, str]]:
        """A signed single-record lookup: body and headers."""
        payload = {"agreement_id": DEMO_AGREEMENT, "agreement_version": 1, "records": [records.next()]}
        body = json.dumps(payload).encode()
        headers = sign_request("POST", self.base_url + PATH, key=self.key, keyid=self.keyid, body=body,
                               content_type="application/json")  # fmt: skip
        return body, headers


def answer_code(response: httpx.Response) -> str:
    """The record's code in a 200 answer, the error code otherwise."""
    try:
        document = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if response.status_code == 200:
        return str(document["results"][0]["code"])
    return str(document.get("error", f"HTTP {response.status_code}"))


# --- the server ----------------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and all its descendants (the uvicorn workers), from /proc."""
    return tree_sum(root, 11, 12) / CLOCK_TICK


def machine_busy_seconds() -> float:
    """CPU seconds all cores have been busy since boot (/proc/stat), to see load from other processes."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICK


# ``python -c`` program: ``custos`` with uvicorn's listening socket marked IPPROTO_TCP.  uvicorn binds the
# socket itself when it runs more than one worker and leaves proto at 0; accepted connections inherit
# it, and asyncio sets TCP_NODELAY only on IPPROTO_TCP sockets, so every keep-alive answer waits for the
# client's delayed ACK (about 40 ms on Linux; uvicorn issue #3149).  One worker is not affected.
NODELAY_SERVE = """
import socket, sys
import uvicorn.config
from custos.cli import main

bind_socket = uvicorn.config.Config.bind_socket

def bind_tcp_socket(self):
    sock = bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock

uvicorn.config.Config.bind_socket = bind_tcp_socket
sys.exit(main(sys.argv[1:]))
"""


@contextmanager
def serve(
    directory: Path, port: int, workers: int, log: IO[bytes], *, nodelay: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """``custos serve`` as an operator starts it, until /ready answers; stopped on exit."""
    environment = {**os.environ, "CUSTOS_API_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
                   "CUSTOS_API_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    program = ["-c", NODELAY_SERVE] if nodelay else ["-m", "custos"]
    argv = [sys.executable, *program, "--dir", str(directory), "serve", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=environment)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise SystemExit(f"custos serve exited during start-up (status {process.returncode})")
            if time.monotonic() > deadline:
                raise SystemExit("custos serve did not become ready in 120 s")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


# --- the load ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it was sent, how long until the answer was read, and what it was."""

    sent: float
    seconds: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    code: str


def client_loop(signer: Signer, records: Records, stop_at: float, samples: list[Sample]) -> None:
    """One client: sign, send, read the answer, again, until ``stop_at``; one connection, kept alive."""
    url = signer.base_url + PATH
    with httpx.Client(timeout=120.0) as client:
        while time.perf_counter() < stop_at:
            body, headers = signer.request(records)
            sent = time.perf_counter()
            try:
                response = client.post(url, content=body, headers=headers)
                status, code = response.status_code, answer_code(response)
            except httpx.HTTPError as exc:
                status, code = 0, type(exc).__name__
            samples.append(Sample(sent, time.perf_counter() - sent, status, code))


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def latency_figures(samples: list[Sample]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean in milliseconds."""
    ordered = sorted(s.seconds * 1000 for s in samples)
    if not ordered:
        return {}
    figures = {f"p{round(share * 100)}_ms": percentile(ordered, share) for share in (0.5, 0.95, 0.99)}
    figures |= {"max_ms": ordered[-1], "mean_ms": sum(ordered) / len(ordered)}
    return {name: round(value, 1) for name, value in figures.items()}


def run_level(
    signer: Signer, records: Records, *, clients: int, warmup: float, seconds: float, server: int
) -> tuple[dict[str, Any], list[Sample]]:
    """``clients`` closed-loop clients; figures over the requests sent in the measured window."""
    samples: list[Sample] = []
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + seconds
    threads = [
        threading.Thread(target=client_loop, args=(signer, records, stop_at, samples), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    cpu_server, cpu_client, cpu_all = tree_cpu_seconds(server), time.process_time(), machine_busy_seconds()
    time.sleep(max(0.0, stop_at - time.perf_counter()))
    cpu_server = tree_cpu_seconds(server) - cpu_server
    cpu_client = time.process_time() - cpu_client
    cpu_other = machine_busy_seconds() - cpu_all - cpu_server - cpu_client
    for thread in threads:
        thread.join()
    measured = sorted((s for s in samples if measure_from <= s.sent < stop_at), key=lambda s: s.sent)
    errors = [s for s in measured if s.status != 200]
    fifth = max(1, len(measured) // 5)
    figures: dict[str, Any] = {
        "clients": clients,
        "requests": len(measured),
        "errors": len(errors),
        "req_per_s": round(len(measured) / seconds, 1),
        **latency_figures(measured),
        "p50_first_fifth_ms": latency_figures(measured[:fifth]).get("p50_ms"),
        "p50_last_fifth_ms": latency_figures(measured[-fifth:]).get("p50_ms"),
        "server_cpu_ms_per_request": round(cpu_server * 1000 / max(1, len(measured)), 1),
        "client_cpu_ms_per_request": round(cpu_client * 1000 / max(1, len(measured)), 1),
        # Cores busy on average during the measured window: the server, this load generator, anything else.
        "cores_busy_server": round(cpu_server / seconds, 2),
        "cores_busy_client": round(cpu_client / seconds, 2),
        "cores_busy_other": round(max(0.0, cpu_other) / seconds, 2),
        "codes": dict(Counter(s.code for s in measured).most_common()),
        "error_examples": [s.code for s in errors[:5]],
        "sent_with_warmup": len(samples),
        "answered_200_with_warmup": sum(1 for s in samples if s.status == 200),
    }
    return figures, samples


# --- what the ledger holds afterwards ------------------------------------------------------------------


def ledger_size(directory: Path) -> int:
    """The number of ledger entries now."""
    runtime = Runtime.open(Settings.load(directory))
    try:
        return runtime.ledger.head().size
    finally:
        runtime.close()


def ledger_check(directory: Path, start_size: int, tag: str, sent: int, answered: int) -> dict[str, Any]:
    """One ``request.received`` lookup entry and one case per answered request, no refusals, audit ok."""
    runtime = Runtime.open(Settings.load(directory))
    try:
        entries: Counter[str] = Counter()
        with runtime.database.read() as connection:
            leaves = connection.execute(
                select(ledger_entry.c.leaf)
                .where(ledger_entry.c.seq >= start_size)
                .order_by(ledger_entry.c.seq)
            ).scalars()
            for leaf in leaves:
                entry = json.loads(leaf)
                entries[f"{entry['event_type']} {entry['action']}"] += 1
            cases = connection.execute(
                select(case_record.c.internal_code, func.count())
                .where(case_record.c.record_id.like(f"{tag}-%"))
                .group_by(case_record.c.internal_code)
            ).all()
        audit = runtime.ledger.audit()
        size = runtime.ledger.head().size
    finally:
        runtime.close()
    received = entries[f"{EventType.REQUEST_RECEIVED.value} lookup"]
    refusals = sum(n for name, n in entries.items() if name.split()[0] in {e.value for e in REFUSALS})
    case_count = sum(n for _, n in cases)
    return {
        "requests_sent": sent,
        "requests_answered_200": answered,
        "request_received_lookup_entries": received,
        "refusal_entries": refusals,
        "cases": case_count,
        "one_record_per_request": received == answered == sent and refusals == 0 and case_count == sent,
        "entries_added": size - start_size,
        "entries_per_request": round((size - start_size) / max(1, sent), 2),
        "entries_by_type": dict(entries.most_common()),
        "internal_codes": {code: n for code, n in cases},
        "response_codes": dict(Counter({response_code(c): n for c, n in cases})),
        "audit_ok": audit.ok,
        "audit_entries": audit.entries,
        "audit_failures": audit.failures[:5],
    }


# --- where the time goes (in-process) ------------------------------------------------------------------

# (label, owner, attribute): the pipeline's stages, timed by wrapping them; nested stages are indented.
STAGES: list[tuple[str, Any, str]] = [
    ("authenticate: signature, key registry, rate, nonce check", ApiContext, "authenticate"),
    ("lookup: everything after authentication", ApiContext, "lookup"),
    ("  spool the record to a file", ApiContext, "_spool_records"),
    ("  accept: admission + request.received transaction", DecisionPipeline, "accept"),
    ("    admission: agreement, signer, file digest", pipeline_module, "admit"),
    ("  load the batch state", DecisionPipeline, "_load"),
    ("  validate: record rules, case, record.validated", DecisionPipeline, "_validate"),
    ("  batch rules: R9, R18, R22, R24", DecisionPipeline, "_batch_rules"),
    ("  match: all of it", DecisionPipeline, "_match"),
    ("    engine: prepare + match_batch", batch_module, "_decide"),
    ("    write decisions: R25, R27-R29, decision.made", DecisionPipeline, "_record_decisions"),
    ("  finish: batch status", DecisionPipeline, "_finish"),
    ("SQL statements through SQLAlchemy Core (build, compile, run)", Connection, "_execute_clauseelement"),
    ("SQLite COMMIT (WAL fsync on writes), all transactions", Connection, "_commit_impl"),
    ("DuckDB connect (opening the master index)", duckdb, "connect"),
]
SHARED_INDEX_WAIT = "waiting for the shared master index (its lock)"
WRITE_BEGIN = "SQLite BEGIN IMMEDIATE: write transactions (waits for the write lock)"
READ_BEGIN = "SQLite BEGIN: read transactions"
WRITE_HELD = "holding the write lock: BEGIN IMMEDIATE acquired to COMMIT done"


class StageTimer:
    """Wall time and calls per stage, from wrappers installed on the stages' functions."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._saved: list[tuple[Any, str, Any]] = []

    def add(self, label: str, seconds: float) -> None:
        """Count one call of ``seconds``."""
        with self._lock:
            self.seconds[label] += seconds
            self.calls[label] += 1

    def _wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - started)

        return timed

    def install(self) -> None:
        """Wrap every stage (before the database opens: its BEGIN hook is bound when it opens)."""
        for label, owner, name in STAGES:
            self._saved.append((owner, name, inspect.getattr_static(owner, name)))
            setattr(owner, name, self._wrap(label, getattr(owner, name)))
        begin = Database._on_begin
        self._saved.append((Database, "_on_begin", inspect.getattr_static(Database, "_on_begin")))

        def timed_begin(connection: Connection) -> None:
            read_only = connection.get_execution_options().get(database_module._READ_ONLY, False)
            started = time.perf_counter()
            try:
                begin(connection)
            finally:
                self.add(READ_BEGIN if read_only else WRITE_BEGIN, time.perf_counter() - started)

        Database._on_begin = staticmethod(timed_begin)  # type: ignore[method-assign]
        write = Database.write
        self._saved.append((Database, "write", inspect.getattr_static(Database, "write")))

        @contextmanager
        def timed_write(database: Database) -> Iterator[Connection]:
            started = 0.0
            try:
                with write(database) as connection:
                    started = time.perf_counter()  # BEGIN IMMEDIATE returned: the lock is held
                    yield connection
            finally:  # after the commit (or rollback)
                if started:
                    self.add(WRITE_HELD, time.perf_counter() - started)

        Database.write = timed_write  # type: ignore[method-assign,assignment]

    def remove(self) -> None:
        """Put the original functions back."""
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()

    def reset(self) -> None:
        """Forget what was timed so far (the warm-up)."""
        with self._lock:
            self.seconds.clear()
            self.calls.clear()

    def per_lookup(self, count: int) -> dict[str, dict[str, float]]:
        """Milliseconds and calls per lookup, by stage."""
        labels = [label for label, _, _ in STAGES] + [WRITE_BEGIN, WRITE_HELD, READ_BEGIN, SHARED_INDEX_WAIT]
        return {
            label: {"ms_per_lookup": round(self.seconds[label] * 1000 / count, 2),
                    "calls_per_lookup": round(self.calls[label] / count, 2)}
            for label in labels
        }  # fmt: skip


class TimedLock:
    """A lock that reports how long each acquisition waited."""

    def __init__(self, lock: Any, timer: StageTimer) -> None:
        self._lock = lock
        self._timer = timer

    def __enter__(self) -> bool:
        started = time.perf_counter()
        acquired = bool(self._lock.__enter__())
        self._timer.add(SHARED_INDEX_WAIT, time.perf_counter() - started)
        return acquired

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)


class Profiled:
    """Runs an ApiContext method under one cProfile profiler when asked (serial lookups only).

    The API runs the work in a threadpool thread and cProfile profiles only the thread that
    enables it, so the profiler is switched on inside the method itself.
    """

    def __init__(self) -> None:
        self.profiler = cProfile.Profile()
        self.active = threading.Event()
        self._saved = (ApiContext.lookup, ApiContext.authenticate)

    def _wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            if not self.active.is_set():
                return function(*args, **kwargs)
            self.profiler.enable()
            try:
                return function(*args, **kwargs)
            finally:
                self.profiler.disable()

        return run

    def install(self) -> None:
        """Wrap the two methods that do a lookup's work."""
        ApiContext.lookup = self._wrap(self._saved[0])  # type: ignore[method-assign]
        ApiContext.authenticate = self._wrap(self._saved[1])  # type: ignore[method-assign]

    def remove(self) -> None:
        """Put them back."""
        ApiContext.lookup, ApiContext.authenticate = self._saved  # type: ignore[method-assign]

    def top(self, count: int, order: str = "tottime", *restrictions: str) -> str:
        """The first ``count`` functions by ``order`` (tottime: own time; cumulative: with callees)."""
        text = StringIO()
        pstats.Stats(self.profiler, stream=text).sort_stats(order).print_stats(*restrictions, count)
        return text.getvalue()


def profile_lookups(
    template: Path, pool: list[dict[str, str]], count: int, scratch: Path, levels: list[int]
) -> dict[str, Any]:
    """Time ``count`` lookups in-process at each client count, stage by stage; cProfile them serially.

    The app runs under FastAPI's TestClient (no network, no uvicorn), on its own copy of the
    installation.  At more than one client the stage times include waiting: for the GIL, the
    SQLite write lock (BEGIN IMMEDIATE) and the shared master index.
    """
    from fastapi.testclient import TestClient  # noqa: PLC0415 - only the profile needs it

    directory = scratch_copy(template, scratch)
    settings = Settings.load(directory)
    key = load_private_key(directory / "demo" / "keys" / f"{HEAD}.pem")
    signer = Signer(key, f"{DEMO_AGREEMENT}/{HEAD}", settings.api_public_url)
    records = Records(pool, f"PRF{secrets.token_hex(3).upper()}")
    timer, profiled = StageTimer(), Profiled()
    result: dict[str, Any] = {"lookups": count, "levels": {}}
    profiled.install()
    timer.install()
    try:
        with TestClient(create_app(settings, start_worker=False)) as client:
            logging.getLogger("custos.api").setLevel(logging.WARNING)  # no request log lines on stdout
            shared = client.app.state.ctx.pipeline.shared_index  # type: ignore[attr-defined]
            if shared is not None:
                shared._lock = TimedLock(shared._lock, timer)  # measuring its waits

            def send(times: list[float], repeat: int) -> None:
                for _ in range(repeat):
                    body, headers = signer.request(records)
                    started = time.perf_counter()
                    response = client.post(PATH, content=body, headers=headers)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text

            send([], 20)
            for clients in levels:
                timer.reset()
                times: list[float] = []
                share = count // clients
                threads = [threading.Thread(target=send, args=(times, share)) for _ in range(clients)]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                done = len(times)
                result["levels"][str(clients)] = {
                    "req_per_s": round(done / (time.perf_counter() - started), 1),
                    "request_total": latency_figures([Sample(0.0, t, 200, "") for t in times]),
                    "stages": timer.per_lookup(done),
                }
            profiled.active.set()
            send([], count)
            profiled.active.clear()
    finally:
        timer.remove()
        profiled.remove()
        shutil.rmtree(directory, ignore_errors=True)
    result["cprofile_top_tottime"] = profiled.top(30)
    result["cprofile_top_cumulative_custos"] = profiled.top(45, "cumulative", "src/custos")
    return result


# --- the report ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown",
    )  # fmt: skip
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))  # fmt: skip
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(int(memory) / 2**20, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "duckdb": duckdb.__version__,
        "kernel": platform.release(),
        "custos": version("custos"),
    }


def print_profile(profile: dict[str, Any]) -> None:
    """The in-process stage table, one column per client count, and the cProfile top list."""
    levels = profile["levels"]
    print(f"{'in-process, ms per lookup (x calls)':<72}" + "".join(f"{c + ' client(s)':>14}" for c in levels))
    for label in next(iter(levels.values()))["stages"]:
        stages = [levels[c]["stages"][label] for c in levels]
        cells = "".join(f"{s['ms_per_lookup']:8.2f} x{s['calls_per_lookup']:<4g}" for s in stages)
        print(f"{label[:70]:<72}{cells}")
    print(f"{'request total, p50 (TestClient)':<72}" + "".join(
        f"{levels[c]['request_total']['p50_ms']:14.1f}" for c in levels))  # fmt: skip
    print(f"{'requests per second':<72}" + "".join(f"{levels[c]['req_per_s']:14.1f}" for c in levels))
    print(profile["cprofile_top_tottime"])
    print(profile["cprofile_top_cumulative_custos"])


def table(levels: list[dict[str, Any]]) -> str:
    """The figures as a markdown table."""
    lines = [
        "| clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | server CPU ms/req |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in levels:
        latency = " | ".join(f"{f[name]:.1f}" for name in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        counts = f"| {f['clients']} | {f['requests']:,} | {f['errors']} | {f['req_per_s']:.1f}"
        lines.append(f"{counts} | {latency} | {f['server_cpu_ms_per_request']:.1f} |")
    return "\n".join(lines)


def arguments_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxpayers", type=int, default=1_000_000, help="size of the master index")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="demo installation to reuse (built there if missing)")
    parser.add_argument("--workers", type=int, default=1, help="custos serve worker processes")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per level")
    parser.add_argument("--warmup", type=float, default=3.0, help="uncounted seconds before each level")
    parser.add_argument("--clients", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--mix", choices=("exact", "all"), default="exact",
                        help="exact: records the engine confirms; all: every synthetic category")  # fmt: skip
    parser.add_argument("--nodelay", action="store_true",
                        help="work around uvicorn leaving TCP_NODELAY off with several workers")  # fmt: skip
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also time N lookups in-process")
    parser.add_argument("--profile-clients", type=int, nargs="+", default=[1, 8], metavar="C",
                        help="client threads for the in-process profile")  # fmt: skip
    parser.add_argument("--out", type=Path, help="result JSON (default bench/results/api-<size>-w<N>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the run's copy of the installation")
    return parser


def measure(arguments: argparse.Namespace, run_dir: Path, records: Records) -> dict[str, Any]:
    """Start the server on ``run_dir``, run every level against it, stop it, check the ledger."""
    settings = Settings.load(run_dir)
    index = MasterIndex(settings.path(settings.master_index), memory_limit="256MB", threads=1)
    taxpayers = index.info.taxpayers
    index.close()
    start_size = ledger_size(run_dir)
    port = free_port()
    key = load_private_key(run_dir / "demo" / "keys" / f"{HEAD}.pem")
    signer = Signer(key, f"{DEMO_AGREEMENT}/{HEAD}", f"http://127.0.0.1:{port}")
    levels: list[dict[str, Any]] = []
    sent = answered = 0
    with (RESULTS / "api" / f"serve-{records.tag}.log").open("wb") as log:
        started = time.perf_counter()
        with serve(run_dir, port, arguments.workers, log, nodelay=arguments.nodelay) as server:
            ready = round(time.perf_counter() - started, 1)
            print(f"custos serve: {arguments.workers} worker(s), ready in {ready} s; "
                  f"{taxpayers:,} taxpayers in the index", flush=True)  # fmt: skip
            for clients in arguments.clients:
                figures, samples = run_level(signer, records, clients=clients, warmup=arguments.warmup,
                                             seconds=arguments.seconds, server=server.pid)  # fmt: skip
                levels.append(figures)
                sent += len(samples)
                answered += sum(1 for s in samples if s.status == 200)
                print(json.dumps({k: v for k, v in figures.items() if k != "error_examples"}), flush=True)
    check = ledger_check(run_dir, start_size, records.tag, sent, answered)
    print(json.dumps(check, indent=2), flush=True)
    server_settings = {"api_workers": arguments.workers, "match_workers": settings.match_workers,
                       "rate_per_minute": RATE_PER_MINUTE, "ready_seconds": ready,
                       "nodelay_workaround": arguments.nodelay}  # fmt: skip
    return {"server": server_settings, "taxpayers": taxpayers, "levels": levels, "ledger": check}


def main() -> None:
    arguments = arguments_parser().parse_args()
    template = arguments.data or RESULTS / "api" / f"demo-{arguments.taxpayers}-{arguments.seed}"
    print(f"installation: {template}", flush=True)
    setup_seconds = prepare_template(template, arguments.taxpayers, 2_000, arguments.seed)
    print(f"setup: {'reused' if setup_seconds is None else f'{setup_seconds} s'}", flush=True)
    pool = confirmable_rows(template, arguments.mix)
    records = Records(pool, f"API{secrets.token_hex(3).upper()}")
    run_dir = scratch_copy(template, RESULTS / "api" / f"run-{records.tag}")
    try:
        measured = measure(arguments, run_dir, records)
    finally:
        if not arguments.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    profile = None
    if arguments.profile:
        scratch = RESULTS / "api" / f"profile-{records.tag}"
        profile = profile_lookups(template, pool, arguments.profile, scratch, arguments.profile_clients)
        print_profile(profile)
    result = {
        "run": records.tag, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(), "machine": machine(), "mix": arguments.mix, "records_in_pool": len(pool),
        "warmup_seconds": arguments.warmup, "seconds_per_level": arguments.seconds,
        "setup_seconds": setup_seconds, **measured, "profile": profile,
    }  # fmt: skip
    suffix = "-nodelay" if arguments.nodelay else ""
    out = arguments.out or RESULTS / f"api-{measured['taxpayers']}-w{arguments.workers}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    levels, check = measured["levels"], measured["ledger"]
    print(table(levels))
    target = next((f for f in levels if f["clients"] == 8), None)
    if target is not None:
        print(f"p99 at 8 clients: {target['p99_ms']} ms (target at most 50 ms: "
              f"{'met' if target['p99_ms'] <= 50 else 'NOT met'})")  # fmt: skip
    print(f"ledger: one record per request: {check['one_record_per_request']}; audit ok: {check['audit_ok']}")
    print(f"written to {out}")
    if not check["one_record_per_request"] or not check["audit_ok"] or any(f["errors"] for f in levels):
        raise SystemExit(1)


def commit() -> str | None:
    """The checked-out commit, for the record (read-only git)."""
    try:
        found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                               cwd=Path(__file__).parent, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return found.stdout.strip()


if __name__ == "__main__":
    main()
