"""Scale run: load a large master and match a large batch with the CLI, as an operator would.

    uv run python -m bench.scale --master 10000000 --requests 1000000

Generates the files with ``custos synth`` (not timed against the target), then runs
``custos master load`` and ``custos match`` as child processes.  For each stage it
records wall time, CPU time and the peak resident memory of the whole process tree
(the CLI and its worker processes together), sampled from /proc every 0.2 s, because
``ru_maxrss`` gives only the largest single process.  It also times single-record
lookups against the loaded index in a warm process (prepare + match_one), and scores
the batch against the truth file with ``bench.matching.score``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.matching import score
from bench.proctree import tree_sum
from custos.matching.engine import MatchEngine, prepare
from custos.matching.index import MasterIndex

RESULTS = Path(__file__).resolve().parent / "results"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants."""
    return tree_sum(root, 21) * PAGE_SIZE


def run(name: str, argv: list[str], log: Path, timings: dict[str, dict[str, float]]) -> None:
    """Run one CLI stage, sampling the tree's memory; exit if it fails."""
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(process.pid))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
        sampler.join()
    if status != 0:
        raise SystemExit(f"{name} failed (status {status}); see {log}")
    timings[name] = {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_tree_rss_mib": round(peak / 2**20),
    }
    print(f"{name}: {timings[name]}", flush=True)


def lookups(data: Path, index: Path, count: int) -> dict[str, float]:
    """Latency of single-record matches in a warm process (the interactive path)."""
    with (data / "requests.csv").open(newline="") as handle:
        rows = [row for _, row in zip(range(count + 100), csv.DictReader(handle), strict=False)]
    engine = MatchEngine(MasterIndex(index))
    for row in rows[:100]:  # warm-up: caches, DuckDB buffers
        engine.match_one(prepare(row))
    times = []
    for row in rows[100:]:
        started = time.perf_counter()
        engine.match_one(prepare(row))
        times.append((time.perf_counter() - started) * 1000)
    engine.index.close()
    times.sort()

    def at(share: float) -> float:
        return round(times[min(len(times) - 1, int(share * len(times)))], 2)

    return {"lookups": len(times), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(times[-1], 2)}  # fmt: skip


def load_stages(log: Path) -> dict[str, float]:
    """The 'Time by stage' table that ``custos master load`` prints."""
    stages = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[1].replace(".", "", 1).isdigit():
            stages[cells[0]] = float(cells[1])
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--master", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated data and index")
    arguments = parser.parse_args()
    data = RESULTS / "scale" / f"synth-{arguments.master}-{arguments.seed}"
    data.mkdir(parents=True, exist_ok=True)
    custos = [sys.executable, "-m", "custos"]
    timings: dict[str, dict[str, float]] = {}
    index, results = data / "master.idx", data / "results.csv"
    if not (data / "truth.csv").is_file() or len((data / "truth.csv").read_bytes()) == 0:
        run("generate", [*custos, "synth", "--out", str(data), "--master", str(arguments.master),
                         "--requests", str(arguments.requests), "--seed", str(arguments.seed)],
            data / "generate.log", timings)  # fmt: skip
    run("load", [*custos, "master", "load", str(data / "master.csv"), "--into", str(index)],
        data / "load.log", timings)  # fmt: skip
    run("match", [*custos, "match", "--master", str(index), "--requests", str(data / "requests.csv"),
                  "--out", str(results)], data / "match.log", timings)  # fmt: skip
    end_to_end = {
        "seconds": round(timings["load"]["seconds"] + timings["match"]["seconds"], 1),
        "peak_tree_rss_mib": max(timings["load"]["peak_tree_rss_mib"], timings["match"]["peak_tree_rss_mib"]),
    }
    figures = {
        "master": arguments.master,
        "requests": arguments.requests,
        "seed": arguments.seed,
        "timings": timings,
        "load_plus_match": end_to_end,
        "single_lookup": lookups(data, index, arguments.lookups),
        "score": score(data, results),
        "load_stages": load_stages(data / "load.log"),
    }
    out = RESULTS / "scale.json"
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps({k: v for k, v in figures.items() if k != "score"}, indent=2))
    if not arguments.keep:
        shutil.rmtree(data)


if __name__ == "__main__":
    main()
