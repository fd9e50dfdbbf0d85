"""Matching accuracy and speed on custos's own labelled synthetic data.

    uv run python -m bench.matching --master 1000000 --requests 100000 --seed 1

Generates a master extract and a request batch with ``custos synth``, builds the
index, matches, and scores the results against the truth file: recall on the
requests that should be confirmed (overall, with and without a date of birth),
false confirmations per 100,000 requests, and both per category.  Wall time
and peak RSS are measured per stage.  Generated data stays under --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

from custos.cli import main as custos

RESULTS = Path(__file__).resolve().parent / "results"


def stage(name: str, argv: list[str], timings: dict[str, dict[str, float]]) -> None:
    started = time.perf_counter()
    code = custos(argv)
    if code != 0:
        raise SystemExit(f"{name} failed with exit {code}")
    timings[name] = {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }


def score(data: Path, results: Path) -> dict[str, object]:
    with (data / "truth.csv").open(newline="") as handle:
        truth = {row["record_id"]: row for row in csv.DictReader(handle)}
    with (data / "requests.csv").open(newline="") as handle:
        has_dob = {row["record_id"]: bool(row["dob"]) for row in csv.DictReader(handle)}
    with results.open(newline="") as handle:
        got = {row["record_id"]: row for row in csv.DictReader(handle)}
    per_category: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for record_id, expected in truth.items():
        code = got[record_id]["code"]
        category = expected["category"]
        should = expected["expected_code"] == "CONFIRMED"
        cell = per_category[category]
        cell["requests"] += 1
        cell[f"got_{code}"] += 1
        for scope in ("all", "dob" if has_dob[record_id] else "no_dob"):
            totals[f"{scope}_requests"] += 1
            if should:
                totals[f"{scope}_should_confirm"] += 1
                totals[f"{scope}_confirmed_right"] += code == "CONFIRMED"
            elif code == "CONFIRMED":
                totals[f"{scope}_false_confirmations"] += 1
        if should:
            cell["should_confirm"] += 1
            cell["confirmed_right"] += code == "CONFIRMED"
        elif code == "CONFIRMED":
            cell["false_confirmations"] += 1

    def recall(prefix: str) -> float | None:
        wanted = totals[f"{prefix}_should_confirm"]
        return round(totals[f"{prefix}_confirmed_right"] / wanted, 4) if wanted else None

    def false_rate(prefix: str) -> float:
        return round(
            100_000 * totals[f"{prefix}_false_confirmations"] / max(totals[f"{prefix}_requests"], 1), 1
        )

    return {
        "requests": totals["all_requests"],
        "recall": recall("all"),
        "recall_with_dob": recall("dob"),
        "recall_without_dob": recall("no_dob"),
        "false_confirmations": totals["all_false_confirmations"],
        "false_confirmations_per_100k": false_rate("all"),
        "per_category": {k: dict(v) for k, v in sorted(per_category.items())},
    }


def table(report: dict[str, object]) -> str:
    header = (
        "| category | requests | should confirm | confirmed | false confirmations | pending | not confirmed |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|"]
    categories: dict[str, dict[str, int]] = report["per_category"]  # type: ignore[assignment]
    for name, cell in categories.items():
        counts = [
            cell.get(key, 0)
            for key in (
                "requests",
                "should_confirm",
                "got_CONFIRMED",
                "false_confirmations",
                "got_PENDING_REVIEW",
                "got_NOT_CONFIRMED",
            )
        ]
        lines.append(f"| {name} | " + " | ".join(str(c) for c in counts) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "matching")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and index")
    args = parser.parse_args()
    data = args.out / f"synth-{args.master}-{args.requests}-{args.seed}"
    data.mkdir(parents=True, exist_ok=True)
    timings: dict[str, dict[str, float]] = {}
    stage("generate", ["synth", "--out", str(data), "--master", str(args.master), "--requests",
                       str(args.requests), "--seed", str(args.seed)], timings)  # fmt: skip
    index = data / "master.idx"
    stage("load", ["master", "load", str(data / "master.csv"), "--into", str(index)], timings)
    results = data / "results.csv"
    stage("match", ["match", "--master", str(index), "--requests", str(data / "requests.csv"),
                    "--out", str(results)], timings)  # fmt: skip
    report = {"master": args.master, "requests": args.requests, "seed": args.seed, "timings": timings,
              **score(data, results)}  # fmt: skip
    (RESULTS / "matching.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "per_category"}, indent=2))
    print(table(report))
    if not args.keep:
        shutil.rmtree(data)


if __name__ == "__main__":
    main()
