"""Ledger benchmark: durable appends, offline verification of a large bundle, proofs.

Run with ``uv run python -m bench.ledger`` (``make bench``); ``--entries 20000``
gives a quick run.  Everything it writes goes under ``--out`` (default
``bench/results/``, git-ignored): a scratch directory that is deleted at the end
(unless ``--keep``) and ``ledger.json`` with the figures.  A markdown table of
the figures is printed at the end.

What is measured, all on the embedded default (SQLite WAL, synchronous=FULL)
with default settings (a checkpoint is signed, checked and published every
256 entries, inside the appending transaction):

1. durable appends per second: (a) one append per transaction on a fresh
   ledger, (b) 1,000 appends per transaction while building the large ledger,
   (c) one append per transaction again once the ledger is large;
2. exporting the large ledger as an auditor bundle, and verifying that bundle
   offline with ``python -m custos.ledger.verifier bundle`` in a subprocess
   (wall time, CPU time and peak RSS of the child);
3. inclusion proof generation and verification at the full size, and the
   complete c2sp.org/tlog-proof text for a few entries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from custos.config import Settings
from custos.ledger.events import (
    Actor,
    ActorKind,
    AuditEvent,
    Authorization,
    EventType,
    ObjectRef,
    Outcome,
)
from custos.ledger.export import export_bundle, tlog_proof
from custos.ledger.verifier import leaf_hash, verify_inclusion
from custos.runtime import Runtime, initialize

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
VERIFY_TARGET_SECONDS = 60.0
BATCH = 1_000

console = Console(stderr=True)


# ---------------------------------------------------------------------------
# Helpers.


class Events:
    """Realistic ``decision.made`` events: a case, a salted commitment, a reason and a rule."""

    def __init__(self, seed: int = 20261124) -> None:
        self._random = random.Random(seed)
        self._count = 0
        self._actor = Actor.system("pipeline")

    def next(self) -> AuditEvent:
        """The next event (unique case id and commitment)."""
        self._count += 1
        commitment = hashlib.sha256(self._random.randbytes(32)).hexdigest()
        return AuditEvent(
            EventType.DECISION_MADE,
            self._actor,
            "decide_record",
            Outcome.SUCCESS,
            object=ObjectRef("case", f"C-{self._count:09d}", commitment),
            reason_code="MATCH_EXACT",
            authz=Authorization("policy-2026-11", "R12", "disclose"),
            details={"record_count": 1},
        )

    def batch(self, count: int) -> list[AuditEvent]:
        """The next ``count`` events."""
        return [self.next() for _ in range(count)]


@contextmanager
def installation(scratch: Path, name: str) -> Iterator[Runtime]:
    """A fresh data directory (``custos init``) opened with default settings."""
    data_dir = scratch / name
    initialize(data_dir)
    runtime = Runtime.open(Settings.load(data_dir))
    try:
        yield runtime
    finally:
        runtime.close()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (0 < fraction <= 1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def summary(seconds: Sequence[float]) -> dict[str, float]:
    """Mean, p50, p99 and max, in milliseconds."""
    return {
        "count": len(seconds),
        "mean_ms": statistics.fmean(seconds) * 1e3,
        "p50_ms": percentile(seconds, 0.50) * 1e3,
        "p99_ms": percentile(seconds, 0.99) * 1e3,
        "max_ms": max(seconds) * 1e3,
    }


def progress() -> Progress:
    """A progress bar on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    import sqlite3  # noqa: PLC0415

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


# ---------------------------------------------------------------------------
# 1a. One append per transaction.


def bench_single(runtime: Runtime, transactions: int, label: str, seed: int) -> dict[str, Any]:
    """Time ``transactions`` transactions of one append each."""
    ledger = runtime.ledger
    prepared = Events(seed=seed).batch(transactions)
    size_before = ledger.head().size
    checkpoints_before = len(ledger.checkpoints())
    latencies: list[float] = []
    with progress() as bar:
        task = bar.add_task(label, total=transactions)
        started = time.perf_counter()
        for event in prepared:
            begin = time.perf_counter()
            with ledger.transaction() as tx:
                tx.append(event)
            latencies.append(time.perf_counter() - begin)
            bar.advance(task)
        elapsed = time.perf_counter() - started
    return {
        "tree_size_before": size_before,
        "transactions": transactions,
        "appends": transactions,
        "seconds": elapsed,
        "appends_per_second": transactions / elapsed,
        "transaction_latency": summary(latencies),
        "checkpoints_signed": len(ledger.checkpoints()) - checkpoints_before,
    }


# ---------------------------------------------------------------------------
# 1b. 1,000 appends per transaction, building the large ledger.


def build_large(runtime: Runtime, entries: int) -> dict[str, Any]:
    """Grow the ledger to ``entries`` entries in transactions of up to 1,000 appends."""
    ledger = runtime.ledger
    events = Events(seed=2)
    remaining = entries - ledger.head().size
    latencies: list[float] = []
    sizes: list[int] = []
    appended = 0
    with progress() as bar:
        task = bar.add_task(f"1b: {BATCH:,} appends per transaction", total=remaining)
        started = time.perf_counter()
        while remaining > 0:
            batch = events.batch(min(BATCH, remaining))
            begin = time.perf_counter()
            with ledger.transaction() as tx:
                for event in batch:
                    tx.append(event)
            latencies.append(time.perf_counter() - begin)
            sizes.append(len(batch))
            appended += len(batch)
            remaining -= len(batch)
            bar.advance(task, len(batch))
        wall = time.perf_counter() - started
    in_transactions = sum(latencies)
    tenth = max(1, len(latencies) // 10)

    def rate(part: slice) -> float:
        return sum(sizes[part]) / sum(latencies[part])

    return {
        "transactions": len(latencies),
        "appends": appended,
        "appends_per_transaction": BATCH,
        "seconds_in_transactions": in_transactions,
        "seconds_wall_with_event_construction": wall,
        "appends_per_second": appended / in_transactions,
        "appends_per_second_first_10pct": rate(slice(None, tenth)),
        "appends_per_second_last_10pct": rate(slice(-tenth, None)),
        "transaction_latency": summary(latencies),
        "tree_size": ledger.head().size,
        "checkpoints_signed": len(ledger.checkpoints()),
    }


def file_sizes(data_dir: Path) -> dict[str, int]:
    """Sizes of the SQLite files (database and WAL)."""
    return {path.name: path.stat().st_size for path in sorted(data_dir.glob("custos.db*"))}


# ---------------------------------------------------------------------------
# 2. Export and offline verification.


def run_verifier(bundle: Path) -> dict[str, Any]:
    """Run the offline verifier in a child process; wall time, CPU time and peak RSS."""
    command = [
        sys.executable,
        "-m",
        "custos.ledger.verifier",
        "bundle",
        str(bundle),
        "--keys",
        str(bundle / "trusted-keys.txt"),
    ]
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        # wait4 gives this child's own resource usage (RUSAGE_CHILDREN would be the
        # maximum over every child this process ever waited for).
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    try:
        report = json.loads(text)
    except json.JSONDecodeError:
        report = {"ok": False, "error": text[-2000:]}
    return {
        "command": " ".join(["python", *command[1:]]),
        "exit_code": child.returncode,
        "ok": bool(report.get("ok")) and child.returncode == 0,
        "entries": report.get("entries"),
        "checkpoints_verified": report.get("checkpoints_verified"),
        "first_failed_check": report.get("first_failed_check"),
        "seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "target_seconds": VERIFY_TARGET_SECONDS,
        "within_target": wall <= VERIFY_TARGET_SECONDS,
    }


def bench_export_and_verify(runtime: Runtime, bundle: Path) -> dict[str, Any]:
    """Export the ledger as a bundle, then verify it offline in a subprocess."""
    console.print("2: exporting the bundle (includes a full audit before the final checkpoint)")
    started = time.perf_counter()
    result = export_bundle(runtime.ledger, bundle, Actor(ActorKind.AUDITOR, "bench"))
    export_seconds = time.perf_counter() - started
    entries_bytes = (bundle / "entries.jsonl").stat().st_size
    checkpoint_files = len(list((bundle / "checkpoints").glob("*.checkpoint")))
    console.print(f"2: verifying {result.entries:,} entries offline")
    verify = run_verifier(bundle)
    return {
        "export": {
            "seconds": export_seconds,
            "entries": result.entries,
            "checkpoints": result.checkpoints,
            "audited": result.audited,
            "entries_jsonl_bytes": entries_bytes,
            "mean_leaf_bytes": entries_bytes / result.entries - 1,
            "checkpoint_files": checkpoint_files,
        },
        "verify": verify,
    }


# ---------------------------------------------------------------------------
# 3. Inclusion proofs.


def bench_proofs(runtime: Runtime, proofs: int, tlog_proofs: int) -> dict[str, Any]:
    """Generate and verify inclusion proofs for random entries at the current size."""
    ledger = runtime.ledger
    size = ledger.head().size
    root = ledger.root(size)
    chooser = random.Random(3)
    seqs = [chooser.randrange(size) for _ in range(proofs)]
    generate: list[float] = []
    check: list[float] = []
    lengths: list[int] = []
    with progress() as bar:
        task = bar.add_task("3: inclusion proofs", total=proofs)
        for seq in seqs:
            begin = time.perf_counter()
            proof = ledger.inclusion_proof(seq, size)
            generate.append(time.perf_counter() - begin)
            hashed = leaf_hash(ledger.leaf(seq))
            begin = time.perf_counter()
            verify_inclusion(seq, size, hashed, proof, root)
            check.append(time.perf_counter() - begin)
            lengths.append(len(proof))
            bar.advance(task)
    tlog: list[float] = []
    for seq in seqs[:tlog_proofs]:
        begin = time.perf_counter()
        tlog_proof(ledger, seq)
        tlog.append(time.perf_counter() - begin)
    return {
        "tree_size": size,
        "proof_hashes_mean": statistics.fmean(lengths),
        "generate": summary(generate),
        "verify": summary(check),
        "tlog_proof": summary(tlog),
        "checkpoints_in_ledger": len(ledger.checkpoints()),
    }


# ---------------------------------------------------------------------------
# Report.


def table(results: dict[str, Any]) -> str:
    """The figures as a markdown table."""
    single, batch = results["append_single"], results["append_batch"]
    large = results["append_single_large"]
    export, verify = results["export"], results["verify"]
    proofs = results["proofs"]
    size = f"{proofs['tree_size']:,}"
    rows = [
        (
            "Durable appends/s, 1 append per transaction (fresh ledger)",
            f"{single['appends_per_second']:,.0f}",
            f"{single['transactions']:,} transactions from size {single['tree_size_before']:,}; "
            f"p50 {single['transaction_latency']['p50_ms']:.2f} ms, "
            f"p99 {single['transaction_latency']['p99_ms']:.2f} ms",
        ),
        (
            f"Durable appends/s, {BATCH:,} appends per transaction",
            f"{batch['appends_per_second']:,.0f}",
            f"{batch['appends']:,} appends; first 10% {batch['appends_per_second_first_10pct']:,.0f}/s, "
            f"last 10% {batch['appends_per_second_last_10pct']:,.0f}/s; "
            f"transaction p50 {batch['transaction_latency']['p50_ms']:.0f} ms",
        ),
        (
            f"Durable appends/s, 1 append per transaction (at {large['tree_size_before']:,})",
            f"{large['appends_per_second']:,.0f}",
            f"{large['transactions']:,} transactions; p50 {large['transaction_latency']['p50_ms']:.2f} ms, "
            f"p99 {large['transaction_latency']['p99_ms']:.2f} ms",
        ),
        (
            "Export bundle",
            f"{export['seconds']:.1f} s",
            f"{export['entries']:,} entries, {export['checkpoints']:,} checkpoints; includes a full audit",
        ),
        (
            "entries.jsonl size",
            f"{export['entries_jsonl_bytes'] / 2**20:,.0f} MiB",
            f"{export['entries_jsonl_bytes']:,} bytes, mean leaf {export['mean_leaf_bytes']:.0f} bytes",
        ),
        (
            "Offline verify (`python -m custos.ledger.verifier bundle`)",
            f"{verify['seconds']:.1f} s",
            f"target <= {VERIFY_TARGET_SECONDS:.0f} s: {'met' if verify['within_target'] else 'MISSED'}; "
            f"ok={verify['ok']}; CPU {verify['cpu_seconds']:.1f} s",
        ),
        ("Offline verify peak RSS", f"{verify['peak_rss_mib']:,.0f} MiB", "child process, ru_maxrss"),
        (
            f"Inclusion proof generation at {size}",
            f"{proofs['generate']['mean_ms']:.2f} ms mean",
            f"p50 {proofs['generate']['p50_ms']:.2f} ms, p99 {proofs['generate']['p99_ms']:.2f} ms; "
            f"{proofs['generate']['count']:,} random seqs, {proofs['proof_hashes_mean']:.1f} hashes",
        ),
        (
            f"Inclusion proof verification at {size}",
            f"{proofs['verify']['mean_ms'] * 1e3:.0f} µs mean",
            f"p50 {proofs['verify']['p50_ms'] * 1e3:.0f} µs, p99 {proofs['verify']['p99_ms'] * 1e3:.0f} µs",
        ),
        (
            "tlog-proof text (`export.tlog_proof`)",
            f"{proofs['tlog_proof']['mean_ms']:.1f} ms mean",
            f"p50 {proofs['tlog_proof']['p50_ms']:.1f} ms, max {proofs['tlog_proof']['max_ms']:.1f} ms; "
            f"{proofs['tlog_proof']['count']} proofs, {proofs['checkpoints_in_ledger']:,} checkpoints",
        ),
    ]
    lines = ["| Measurement | Result | Notes |", "|---|---:|---|"]
    lines += [f"| {name} | {value} | {note} |" for name, value, note in rows]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--entries", type=int, default=1_000_000, help="size of the large ledger (default 1,000,000)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results directory (bench/results)")
    parser.add_argument(
        "--single", type=int, default=2_000, help="transactions of one append each to time (default 2,000)"
    )
    parser.add_argument(
        "--single-large",
        type=int,
        default=300,
        help="transactions of one append each to time on the large ledger (default 300)",
    )
    parser.add_argument("--proofs", type=int, default=1_000, help="inclusion proofs to time (default 1,000)")
    parser.add_argument("--tlog-proofs", type=int, default=10, help="tlog-proof texts to time (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data directories and bundle")
    args = parser.parse_args(argv)
    if args.entries < 2 or min(args.single, args.single_large, args.proofs, args.tlog_proofs) < 1:
        parser.error("--entries must be at least 2, the other counts at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the table, write ``ledger.json``; 1 if verification failed."""
    args = parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ledger-", dir=out))
    console.print(f"scratch directory: {scratch}")
    results: dict[str, Any] = {
        "benchmark": "ledger",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {
            "entries": args.entries,
            "single_transactions": args.single,
            "single_transactions_large": args.single_large,
            "appends_per_transaction": BATCH,
            "proofs": args.proofs,
            "tlog_proofs": args.tlog_proofs,
            "database": "SQLite WAL, synchronous=FULL (custos default)",
            "checkpoint_every_entries": Settings.model_fields["checkpoint_every_entries"].default,
            "checkpoint_interval_seconds": Settings.model_fields["checkpoint_interval_seconds"].default,
        },
    }
    started = time.perf_counter()
    try:
        with installation(scratch, "small") as runtime:
            label = "1a: one append per transaction, fresh ledger"
            results["append_single"] = bench_single(runtime, args.single, label, seed=1)
        with installation(scratch, "large") as runtime:
            results["append_batch"] = build_large(runtime, args.entries)
            label = f"1c: one append per transaction at {args.entries:,}"
            results["append_single_large"] = bench_single(runtime, args.single_large, label, seed=4)
            results["database_files_bytes"] = file_sizes(scratch / "large")
            results.update(bench_export_and_verify(runtime, scratch / "bundle"))
            results["proofs"] = bench_proofs(runtime, args.proofs, args.tlog_proofs)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    results["total_seconds"] = time.perf_counter() - started
    (out / "ledger.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten: {out / 'ledger.json'}")
    return 0 if results["verify"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
