"""Single-record match latency in a warm process (the interactive lookup path).

    uv run python -m bench.lookup --master 1000000 --lookups 1000

Builds (or reuses, with --keep) a synthetic master index, opens it once, then
times ``prepare`` + ``MatchEngine.match_one`` for requests taken from the
generated request file, one at a time, and reports p50 / p95 / p99 / max.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

from custos.cli import main as custos
from custos.matching.engine import MatchEngine, prepare
from custos.matching.index import MasterIndex

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "lookup")
    args = parser.parse_args()
    data = args.out / f"synth-{args.master}-{args.seed}"
    index_path = data / "master.idx"
    if not index_path.exists():
        data.mkdir(parents=True, exist_ok=True)
        argv = ["synth", "--out", str(data), "--master", str(args.master), "--requests", str(args.lookups)]
        if custos([*argv, "--seed", str(args.seed)]) != 0:
            raise SystemExit("synth failed")
        if custos(["master", "load", str(data / "master.csv"), "--into", str(index_path)]) != 0:
            raise SystemExit("master load failed")
    with (data / "requests.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))[: args.lookups]
    index = MasterIndex(index_path)
    engine = MatchEngine(index)
    for row in rows[:20]:
        engine.match_one(prepare(row))
    latencies = []
    for row in rows:
        started = time.perf_counter()
        engine.match_one(prepare(row))
        latencies.append((time.perf_counter() - started) * 1000)
    index.close()
    report = {
        "master": args.master,
        "lookups": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }
    (RESULTS / "lookup.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
