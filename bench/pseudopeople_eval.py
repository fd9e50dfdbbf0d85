"""pseudopeople's sample population through the matching engine (matching-notes.md B4).

    uv run --no-sync python -m bench.pseudopeople_eval

pseudopeople 1.3.1 (BSD-3, IHME) is not a custos dependency: it is installed into a
throwaway venv under ``bench/results/pp-venv`` (created on first use with
``python -m venv`` and ``pip install pseudopeople==1.3.1``) and run there in a
subprocess, which writes the sample datasets as CSV under ``--out``, once with the
default noise (seed 1) and once with ``NO_NOISE`` for the truth.

Master (the custodian's extract): every taxpayer of the 2020 1040 and W-2/1099
forms (one synthetic TIN per ``simulant_id``), with the form's noisy mailing address,
W-2/1099 rows first and 1040 rows last so that custos's "last row of the latest tax
year" rule takes the taxpayer's own 1040 where there is one; the date of birth comes
from the noisy Social Security creation record (tax forms carry none).

Requests: every noisy decennial census row (name, middle initial, date of birth,
physical address) -- about 10 k people, 70 % sharing a household and surname with
somebody else, many of them children or non-filers who are not in the master.

Truth: a request should be confirmed when its ``simulant_id`` is a master taxpayer
and the noiseless census address and the noiseless tax mailing address are the same
delivery point after standardization.  A confirmation is false when the confirmed
taxpayer is another simulant or the request should not be confirmed.

The sample puts everybody in "Anytown, WA 00000".  The standardizer reads ZIP
00000 and the city "Anytown" as placeholders, which would make every address
incomplete, so both sides are remapped the same way before standardization: a
5-digit ZIP z becomes (98101 + z) mod 100000 (00000 to 98101, and noisy ZIPs such as
00200 stay distinct: 98301), and the city "Anytown" (any case) becomes "Seattle";
noisy spellings of the city ("Anyton") are left alone (they matter only when the
ZIP is missing).  The state is kept (WA).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bench.febrl import MASTER_COLUMNS, REQUEST_COLUMNS, dp_key, run_engine, usable, write_csv
from custos.matching.engine import prepare

RESULTS = Path(__file__).resolve().parent / "results"
VENV = RESULTS / "pp-venv"
DATASETS = ("decennial_census", "taxes_1040", "taxes_w2_and_1099", "social_security")
GENERATE = """
import sys
from pathlib import Path
import pseudopeople as psp
out, seed = Path(sys.argv[1]), int(sys.argv[2])
for name in {datasets!r}:
    generate = getattr(psp, "generate_" + name)
    generate(seed=seed).to_csv(out / f"{{name}}.csv", index=False)
    generate(seed=seed, config=psp.NO_NOISE).to_csv(out / f"{{name}}.truth.csv", index=False)
print(psp.__version__)
"""
NAME_FIELDS = ("first_name", "middle_initial", "last_name")
DOB_FIELDS = ("date_of_birth",)


def venv_python(venv: Path) -> Path:
    """The throwaway venv's python, creating the venv and installing pseudopeople if needed."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import pseudopeople; print(pseudopeople.__version__)"]
    if (
        python.exists()
        and subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip() == "1.3.1"
    ):
        return python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    command = [str(python), "-m", "pip", "install", "pseudopeople==1.3.1"]
    installed = subprocess.run(command, capture_output=True, text=True, check=False)
    if installed.returncode != 0:
        raise SystemExit(
            f"pip install pseudopeople==1.3.1 failed:\n{installed.stdout[-2000:]}{installed.stderr}"
        )
    return python


def generate(out: Path, seed: int, venv: Path) -> None:
    """Write <dataset>.csv (default noise) and <dataset>.truth.csv (no noise) under ``out``."""
    if all((out / f"{name}{kind}.csv").exists() for name in DATASETS for kind in ("", ".truth")):
        return
    out.mkdir(parents=True, exist_ok=True)
    python = venv_python(venv)
    code = GENERATE.format(datasets=DATASETS)
    subprocess.run([str(python), "-c", code, str(out), str(seed)], check=True, stderr=subprocess.DEVNULL)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def remap_zip(text: str) -> str:
    text = text.strip()
    return f"{(98101 + int(text)) % 100_000:05d}" if len(text) == 5 and text.isdigit() else text


def remap_city(text: str) -> str:
    return "Seattle" if text.strip().lower() == "anytown" else text.strip()


def iso_date(text: str, pattern: str) -> str:
    try:
        return dt.datetime.strptime(text.strip(), pattern).date().isoformat() if text.strip() else ""
    except ValueError:
        return ""


def tax_address(row: dict[str, str]) -> dict[str, str]:
    """Interchange address columns from a 1040 or W-2/1099 mailing address."""
    number, street = row["mailing_address_street_number"].strip(), row["mailing_address_street_name"].strip()
    box = row["mailing_address_po_box"].strip()
    line1 = f"{number} {street}".strip() if (number or street) else (f"PO BOX {box}" if box else "")
    return {
        "address_line1": line1,
        "address_line2": row["mailing_address_unit_number"].strip(),
        "city": remap_city(row["mailing_address_city"]),
        "state": row["mailing_address_state"].strip(),
        "zip": remap_zip(row["mailing_address_zipcode"]),
    }


def census_address(row: dict[str, str]) -> dict[str, str]:
    return {
        "address_line1": f"{row['street_number'].strip()} {row['street_name'].strip()}".strip(),
        "address_line2": row["unit_number"].strip(),
        "city": remap_city(row["city"]),
        "state": row["state"].strip(),
        "zip": remap_zip(row["zipcode"]),
    }


def person(row: dict[str, str]) -> dict[str, str]:
    return {"given_name": row["first_name"].strip(), "middle_name": row["middle_initial"].strip(),
            "surname": row["last_name"].strip(), "name_suffix": ""}  # fmt: skip


def ssa_dob(path: Path) -> dict[str, str]:
    return {r["simulant_id"]: iso_date(r["date_of_birth"], "%Y%m%d")
            for r in read(path) if r["event_type"] == "creation"}  # fmt: skip


def build_master(data: Path, noise: str) -> tuple[list[dict[str, str]], dict[str, str], dict[str, str]]:
    """Master rows (noisy or noiseless forms), TIN by simulant, and true address keys by simulant."""
    suffix = "" if noise == "default" else ".truth"
    dob = ssa_dob(data / f"social_security{suffix}.csv")
    tins: dict[str, str] = {}
    rows = []
    true_dp: dict[str, str] = {}
    for name in ("taxes_w2_and_1099", "taxes_1040"):  # the 1040 row comes last and wins
        for row in read(data / f"{name}{suffix}.csv"):
            sid = row["simulant_id"]
            tin = tins.setdefault(sid, f"{200_000_000 + len(tins):09d}")
            rows.append({"tin": tin, **person(row), "dob": dob.get(sid, ""), **tax_address(row),
                         "tax_year": row["tax_year"]})  # fmt: skip
        for row in read(data / f"{name}.truth.csv"):
            true_dp[row["simulant_id"]] = dp_key(tax_address(row))
    return rows, tins, true_dp


def noise_kinds(noisy: dict[str, str], clean: dict[str, str], fields: tuple[str, ...]) -> bool:
    return any(noisy.get(f, "").strip() != clean.get(f, "").strip() for f in fields)


def evaluate(data: Path, master_noise: str, n_examples: int) -> dict[str, object]:  # noqa: PLR0912, PLR0915
    """One run: build the master with ``master_noise``, match the noisy census, score."""
    work = data / f"master-{master_noise}"
    work.mkdir(exist_ok=True)
    master_rows, tins, master_true_dp = build_master(data, master_noise)
    master_csv = work / "master.csv"
    write_csv(master_csv, MASTER_COLUMNS, master_rows)
    master_last = {r["tin"]: r for r in master_rows}  # the address of record: last row wins (one tax year)
    simulant_of_tin = {tin: sid for sid, tin in tins.items()}

    clean_name = {}
    for name in ("taxes_w2_and_1099", "taxes_1040"):
        for row in read(data / f"{name}.truth.csv"):
            clean_name[row["simulant_id"]] = person(row)
    clean_dob = ssa_dob(data / "social_security.truth.csv")
    census = read(data / "decennial_census.csv")
    census_truth = {r["simulant_id"]: r for r in read(data / "decennial_census.truth.csv")}
    surnames_at: dict[str, set[str]] = defaultdict(
        set
    )  # true delivery point -> true surnames of taxpayers there
    for sid, key in master_true_dp.items():
        clean = census_truth.get(sid)
        if clean is not None:
            surnames_at[key].add(clean["last_name"].strip().lower())
    requests, expected, category = [], {}, {}
    for n, row in enumerate(census):
        record_id = f"c{n:05d}-{row['simulant_id']}"
        dob = iso_date(row["date_of_birth"], "%m/%d/%Y")
        requests.append({"record_id": record_id, **person(row), "dob": dob, **census_address(row)})
        sid = row["simulant_id"]
        clean = census_truth[sid]
        true_dp = dp_key(census_address(clean))
        if sid not in tins:
            shared = clean["last_name"].strip().lower() in surnames_at.get(true_dp, set())
            category[record_id] = "not_taxpayer_relative_at_address" if shared else "not_taxpayer"
            expected[record_id] = False
            continue
        if master_true_dp[sid] != true_dp:
            category[record_id] = "taxpayer_other_address_of_record"
            expected[record_id] = False
            continue
        expected[record_id] = True
        record = master_last[tins[sid]]
        if not usable(prepare({"record_id": "x", **person(clean), **census_address(clean)})):
            category[record_id] = "confirm:true_address_not_a_delivery_point"  # e.g. no house number
            continue
        kinds = [kind for kind, hit in (
            ("name", noise_kinds(row, clean, NAME_FIELDS)),
            ("dob", noise_kinds(row, clean, DOB_FIELDS)),
            ("address", dp_key(census_address(row)) != true_dp),
            ("master_name", any(record[k] != v for k, v in clean_name[sid].items())),
            ("master_dob", record["dob"] != clean_dob.get(sid, "")),
            ("master_address", dp_key(record) != true_dp),
        ) if hit]  # fmt: skip
        category[record_id] = "confirm:" + ("+".join(kinds) or "no_noise")
    write_csv(work / "requests.csv", REQUEST_COLUMNS, requests)
    run = run_engine(master_csv, requests, work)

    per_category: dict[str, Counter[str]] = defaultdict(Counter)
    missed: Counter[str] = Counter()
    examples: dict[str, list[dict[str, object]]] = defaultdict(list)
    totals: Counter[str] = Counter()
    for row, request, decision in zip(requests, run.prepared, run.decisions, strict=True):
        rid = row["record_id"]
        sid = rid.split("-", 1)[1]
        should = expected[rid]
        code = decision.code.value
        cell = per_category[category[rid]]
        cell["requests"] += 1
        cell[f"got_{code}"] += 1
        scope = "dob" if row["dob"] else "no_dob"
        for prefix in ("all", scope):
            totals[f"{prefix}_requests"] += 1
        if code == "CONFIRMED":
            right = should and simulant_of_tin.get(run.confirmed_tin[rid]) == sid
            if not right:
                cell["false_confirmations"] += 1
                for prefix in ("all", scope):
                    totals[f"{prefix}_false_confirmations"] += 1
        if should:
            cell["should_confirm"] += 1
            cell["confirmed_right"] += code == "CONFIRMED"
            for prefix in ("all", scope):
                totals[f"{prefix}_should_confirm"] += 1
                totals[f"{prefix}_confirmed_right"] += code == "CONFIRMED"
            if code != "CONFIRMED":
                key = f"{code} {decision.reason.value}"
                missed[key] += 1
                if len(examples[key]) < n_examples:
                    record = master_last[tins[sid]]
                    examples[key].append({
                        "record_id": rid, "category": category[rid], "detail": decision.detail,
                        "request": {k: row[k] for k in REQUEST_COLUMNS[1:]},
                        "master": {k: record[k] for k in MASTER_COLUMNS[1:-1]},
                        "usable_address": usable(request),
                    })  # fmt: skip

    def recall(prefix: str) -> float | None:
        wanted = totals[f"{prefix}_should_confirm"]
        return round(totals[f"{prefix}_confirmed_right"] / wanted, 4) if wanted else None

    def per_100k(prefix: str) -> float:
        return round(
            100_000 * totals[f"{prefix}_false_confirmations"] / max(totals[f"{prefix}_requests"], 1), 1
        )

    usable_wanted = (
        totals["all_should_confirm"]
        - per_category["confirm:true_address_not_a_delivery_point"]["should_confirm"]
    )
    return {
        "dataset": "pseudopeople 1.3.1 sample; requests: census, default noise",
        "master_noise": master_noise,
        "master_rows": len(master_rows),
        "taxpayers": run.taxpayers,
        "requests": totals["all_requests"],
        "should_confirm": totals["all_should_confirm"],
        "recall": recall("all"),
        "recall_with_dob": recall("dob"),
        "recall_without_dob": recall("no_dob"),
        "recall_true_address_usable": round(totals["all_confirmed_right"] / usable_wanted, 4),
        "false_confirmations": totals["all_false_confirmations"],
        "false_confirmations_per_100k": per_100k("all"),
        "load_seconds": run.load_seconds,
        "match_seconds": run.match_seconds,
        "by_code_reason": dict(
            Counter(f"{d.code.value} {d.reason.value}" for d in run.decisions).most_common()
        ),
        "missed_confirmations_by_reason": dict(missed.most_common()),
        "per_category": {k: dict(v) for k, v in sorted(per_category.items())},
        "examples": dict(examples),
    }


def show(report: dict[str, object]) -> None:
    print(f"\n## master noise: {report['master_noise']}\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("per_category", "examples")}, indent=2))
    print("\n| category | requests | should confirm | confirmed | false confirmations | pending "
          "| not confirmed |\n|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for name, cell in report["per_category"].items():  # type: ignore[union-attr]
        keys = ("requests", "should_confirm", "got_CONFIRMED", "false_confirmations", "got_PENDING_REVIEW",
                "got_NOT_CONFIRMED")  # fmt: skip
        print(f"| {name} | " + " | ".join(str(cell.get(k, 0)) for k in keys) + " |")
    print("\n| missed confirmation: code, reason | requests |\n|---|---:|")
    missed: dict[str, int] = report["missed_confirmations_by_reason"]  # type: ignore[assignment]
    for key, count in missed.items():
        print(f"| {key} | {count} |")
    examples: dict[str, list[dict[str, object]]] = report["examples"]  # type: ignore[assignment]
    for key, rows in examples.items():
        print(f"\n#### {key}")
        for ex in rows:
            print(f"- {ex['record_id']} [{ex['category']}] {ex['detail']}")
            print(f"  - req: {' | '.join(ex['request'].values())}")  # type: ignore[union-attr]
            print(f"  - mst: {' | '.join(ex['master'].values())}")  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "pseudopeople")
    parser.add_argument("--venv", type=Path, default=VENV)
    parser.add_argument("--examples", type=int, default=5, help="examples per reason of missed confirmations")
    parser.add_argument("--master-noise", default="default,none",
                        help="comma-separated: default (noisy forms and SSA), none (noiseless)")  # fmt: skip
    args = parser.parse_args()
    data = args.out / f"seed-{args.seed}"
    generate(data, args.seed, args.venv)
    reports = [evaluate(data, noise, args.examples) for noise in args.master_noise.split(",")]
    (RESULTS / "pseudopeople.json").write_text(json.dumps({"seed": args.seed, "runs": reports}, indent=2))
    for report in reports:
        show(report)


if __name__ == "__main__":
    main()
