"""custos and Splink 5 side by side on the same synthetic data, in one run.

    uv run --group bench python -m bench.splink_compare --master 2000000 --requests 100000 --seed 1

1. ``custos synth`` writes a master extract, a request batch and the truth file.
2. custos: ``custos master load`` and ``custos match``, each in its own process.
3. Splink 5.0 on DuckDB, each stage in its own process:

   * prepare: the master's address of record per TIN (latest tax year, the last such row on
     ties, rows with a malformed TIN or tax year left out, as custos does) and the requests,
     both standardized with custos's own standardizers (``standardize_name``,
     ``standardize_address``; distinct values once each, in ``--workers`` processes);
   * train: lambda from deterministic rules, u by random sampling (``--u-max-pairs``), m by
     EM with two blocking rules; the model is saved as JSON;
   * predict: link_only predictions, then the decision: each request's top match is
     CONFIRMED when its match probability is at least 0.99 and its delivery point key
     equals the request's, else NOT_CONFIRMED.

4. Both result files are scored with ``bench.matching.score``; a side-by-side table is
   printed and ``bench/results/splink_compare.json`` written.

Wall time and peak RSS are measured per stage from the parent with ``os.wait4`` (peak RSS
is ``ru_maxrss``: the largest single process of the stage's process tree).  Generated data
stays under ``--out`` and is deleted at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from bench.matching import score
from custos.matching.workers import relax_garbage_collector, spawn_pool
from custos.standardize.addresses import standardize_address
from custos.standardize.names import standardize_name

RESULTS = Path(__file__).resolve().parent / "results"
THRESHOLD = 0.99
CHUNK = 50_000
# An address that is not a delivery point gets no street or delivery point key, so Splink
# never matches two placeholders or two ZIP-only lines with each other.
NOT_A_DELIVERY_POINT = {"PLACEHOLDER", "UNPARSEABLE", "INCOMPLETE", "NO_PRIMARY_NUMBER", "NO_STREET"}


# --- stages run in child processes, timed by the parent ----------------------------------------


def run_stage(name: str, argv: list[str], log: Path, timings: dict[str, dict[str, float]]) -> None:
    """Run one stage in a child process; record its wall time, CPU time and peak RSS."""
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"\n=== {name}: {' '.join(argv)}\n".encode())
        out.flush()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise SystemExit(f"{name} failed with exit {process.returncode}; log {log}:\n" + "\n".join(tail))
    timings[name] = {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
    }
    print(f"    {timings[name]}", flush=True)


def custos_argv(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("custos")), *args]


def splink_argv(stage: str, work: Path, args: argparse.Namespace) -> list[str]:
    return [sys.executable, "-m", "bench.splink_compare", "--stage", stage, "--work", str(work),
            "--u-max-pairs", str(args.u_max_pairs), "--workers", str(args.workers),
            "--threads", str(args.threads), "--memory-limit", args.memory_limit]  # fmt: skip


# --- Splink: prepare --------------------------------------------------------------------------


def standardize_addresses(rows: Sequence[tuple[str, ...]]) -> pa.Table:
    out: dict[str, list[Any]] = {
        k: [] for k in ("a1", "a2", "ci", "st", "zi", "street_key", "dp_key", "zip5")
    }
    for a1, a2, ci, st, zi in rows:
        address = standardize_address(a1 or None, a2 or None, ci or None, st or None, zi or None)
        usable = address.kind.value != "unparseable" and not NOT_A_DELIVERY_POINT & set(address.problems)
        for key, value in zip(("a1", "a2", "ci", "st", "zi"), (a1, a2, ci, st, zi), strict=True):
            out[key].append(value)
        out["street_key"].append(address.street_key if usable else None)
        out["dp_key"].append(address.delivery_point_key if usable else None)
        out["zip5"].append(address.zip5)
    return pa.table(out)


def standardize_names(rows: Sequence[tuple[str, ...]]) -> pa.Table:
    keys = ("gn", "mn", "sn", "sx", "given", "middle_initial", "surname", "surname_joined", "suffix")
    out: dict[str, list[Any]] = {k: [] for k in keys}
    for gn, mn, sn, sx in rows:
        name = standardize_name(gn or None, mn or None, sn or None, sx or None)
        for key, value in zip(("gn", "mn", "sn", "sx"), (gn, mn, sn, sx), strict=True):
            out[key].append(value)
        out["given"].append(name.given or None)
        out["middle_initial"].append(name.middle[:1] or None)
        out["surname"].append(name.surname or None)
        out["surname_joined"].append(name.surname_joined or None)
        out["suffix"].append(name.suffix.value if name.suffix else None)
    return pa.table(out)


def standardize_distinct(con: duckdb.DuckDBPyConnection, sql: str, table: str, convert: Any,
                         workers: int) -> None:  # fmt: skip
    rows = con.execute(sql).fetchall()
    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)] or [[]]
    if workers > 1 and len(chunks) > 1:
        with spawn_pool(workers) as pool:  # the same worker set-up as custos's own load
            tables: Iterable[pa.Table] = list(pool.map(convert, chunks))
    else:
        tables = [convert(chunk) for chunk in chunks]
    con.register("std_chunks", pa.concat_tables(list(tables)))
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM std_chunks")
    con.unregister("std_chunks")


def connect(work: Path, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(work / "splink.duckdb"))
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{work / 'duckdb_tmp'}'")
    return con


def csv_scan(path: Path) -> str:
    return (f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"', "
            "escape = '\"', strict_mode = false, null_padding = true)")  # fmt: skip


def stage_prepare(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    data = work.parent
    con = connect(work, args.threads, args.memory_limit)
    con.execute(
        f"""
        CREATE TEMP TABLE master_raw AS
        SELECT trim(tin) AS tin, coalesce(given_name, '') AS gn, coalesce(middle_name, '') AS mn,
               coalesce(surname, '') AS sn, coalesce(name_suffix, '') AS sx,
               CAST(TRY_CAST(trim(dob) AS DATE) AS VARCHAR) AS dob,
               coalesce(address_line1, '') AS a1, coalesce(address_line2, '') AS a2,
               coalesce(city, '') AS ci, coalesce(state, '') AS st, coalesce(zip, '') AS zi,
               TRY_CAST(trim(tax_year) AS INTEGER) AS tax_year, row_number() OVER () AS file_row
        FROM {csv_scan(data / "master.csv")}
        """
    )
    con.execute(
        """
        CREATE TEMP TABLE master_rec AS SELECT * FROM master_raw
        WHERE regexp_full_match(tin, '[0-9]{9}') AND tax_year IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY tin ORDER BY tax_year DESC, file_row DESC) = 1
        """
    )
    con.execute("DROP TABLE master_raw")
    con.execute(
        f"""
        CREATE TEMP TABLE request_rec AS
        SELECT CAST(row_number() OVER () AS VARCHAR) AS uid, record_id,
               coalesce(given_name, '') AS gn, coalesce(middle_name, '') AS mn,
               coalesce(surname, '') AS sn, coalesce(name_suffix, '') AS sx,
               CAST(TRY_CAST(trim(dob) AS DATE) AS VARCHAR) AS dob,
               coalesce(address_line1, '') AS a1, coalesce(address_line2, '') AS a2,
               coalesce(city, '') AS ci, coalesce(state, '') AS st, coalesce(zip, '') AS zi
        FROM {csv_scan(data / "requests.csv")}
        """
    )
    started = time.perf_counter()
    standardize_distinct(
        con,
        "SELECT DISTINCT a1, a2, ci, st, zi FROM (SELECT a1, a2, ci, st, zi FROM master_rec "
        "UNION ALL SELECT a1, a2, ci, st, zi FROM request_rec)",
        "addr", standardize_addresses, args.workers,
    )  # fmt: skip
    standardize_distinct(
        con,
        "SELECT DISTINCT gn, mn, sn, sx FROM (SELECT gn, mn, sn, sx FROM master_rec "
        "UNION ALL SELECT gn, mn, sn, sx FROM request_rec)",
        "person_name", standardize_names, args.workers,
    )  # fmt: skip
    standardized = time.perf_counter() - started
    columns = ("n.given, n.middle_initial, n.surname, n.surname_joined, n.suffix, r.dob, "
               "a.street_key, a.dp_key AS delivery_point_key, a.zip5")  # fmt: skip
    for target, source, uid in (
        ("master_sp", "master_rec", "r.tin"),
        ("requests_sp", "request_rec", "r.uid"),
    ):
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT {uid} AS unique_id, {columns} "
            f"FROM {source} r JOIN addr a USING (a1, a2, ci, st, zi) "
            "JOIN person_name n USING (gn, mn, sn, sx)"
        )
    con.execute("CREATE OR REPLACE TABLE request_ids AS SELECT uid AS unique_id, record_id FROM request_rec")
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("master_sp", "requests_sp")
    }
    distinct = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("addr", "person_name")}
    con.execute("DROP TABLE addr")
    con.execute("DROP TABLE person_name")
    con.execute("CHECKPOINT")
    con.close()
    return {"rows": counts, "distinct_standardized": distinct, "standardize_seconds": round(standardized, 1)}


# --- Splink: model ----------------------------------------------------------------------------


def settings() -> Any:
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname").configure(tf_adjustment_column="surname"),
            cll.ExactMatchLevel("surname_joined").configure(label_for_charts="same surname tokens"),
            cll.JaroWinklerLevel("surname", 0.92),
            cll.JaroWinklerLevel("surname", 0.88),
            cll.JaroWinklerLevel("surname", 0.70),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("delivery_point_key"),
            cll.ExactMatchLevel("delivery_point_key").configure(label_for_charts="same delivery point"),
            cll.ExactMatchLevel("street_key").configure(label_for_charts="same street address, other unit"),
            cll.ExactMatchLevel("zip5").configure(label_for_charts="same ZIP code (postcode)"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given"),  # TF on the exact level; JW 0.92 / 0.88 / 0.70
            surname,
            cl.ExactMatch("middle_initial"),
            cl.ExactMatch("suffix"),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            address,  # the ZIP is a level of the address, so it is not counted twice
        ],
        blocking_rules_to_generate_predictions=[
            block_on("zip5", "surname"),
            block_on("street_key"),
            block_on("dob"),
        ],
        retain_matching_columns=True,
    )


DETERMINISTIC_RULES = (("given", "surname", "dob"), ("given", "surname", "delivery_point_key"))
DETERMINISTIC_RECALL = 0.8
# Neither EM rule is address based: blocking on the address would make "same household" the
# cluster EM learns, and the m of a given-name or date-of-birth disagreement would come out large.
EM_RULES = (("dob",), ("given", "surname"))


def linker_for(work: Path, args: argparse.Namespace, model: Any) -> tuple[Any, duckdb.DuckDBPyConnection]:
    con = connect(work, args.threads, args.memory_limit)
    db_api = DuckDBAPI(connection=con)
    requests = db_api.register("requests_sp", dataset_display_name="requests")
    master = db_api.register("master_sp", dataset_display_name="master")
    return Linker([requests, master], model, log_level="INFO"), con


def stage_train(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    linker, con = linker_for(work, args, settings())
    timings = {}
    started = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*rule) for rule in DETERMINISTIC_RULES], recall=DETERMINISTIC_RECALL
    )
    timings["lambda_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=1)
    timings["u_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    for rule in EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    timings["em_seconds"] = round(time.perf_counter() - started, 1)
    model = linker.misc.save_model_to_json(str(work / "model.json"), overwrite=True)
    con.close()
    return {**timings, "probability_two_random_records_match": model["probability_two_random_records_match"]}


def stage_predict(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    linker, con = linker_for(work, args, str(work / "model.json"))
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    predict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pred = predictions.physical_name
    con.execute(
        f"""
        CREATE TEMP TABLE scored AS
        SELECT CASE WHEN source_dataset_l = 'requests' THEN unique_id_l ELSE unique_id_r END AS req,
               CASE WHEN source_dataset_l = 'requests' THEN unique_id_r ELSE unique_id_l END AS tin,
               match_probability AS p, delivery_point_key_l = delivery_point_key_r AS same_dp
        FROM {pred}
        """
    )
    pairs = con.execute(f"SELECT count(*) FROM {pred}").fetchall()[0][0]
    # top match per request (ties: the lowest TIN), and how many candidates reach the threshold
    con.execute(
        f"""
        CREATE TEMP TABLE top AS
        SELECT req, tin, p, coalesce(same_dp, false) AS same_dp,
               count(*) FILTER (WHERE p >= {THRESHOLD}) OVER (PARTITION BY req) AS n_sure
        FROM scored
        QUALIFY row_number() OVER (PARTITION BY req ORDER BY p DESC, tin) = 1
        """
    )
    several = f"WHEN t.n_sure > 1 THEN 'SEVERAL_ABOVE_{THRESHOLD}'"
    for name, extra, several_reason in (
        ("results.csv", "", ""),
        ("results_unique.csv", " AND t.n_sure = 1", several),
    ):
        con.execute(
            f"""
            COPY (
              SELECT r.record_id,
                     CASE WHEN t.p >= {THRESHOLD} AND t.same_dp{extra} THEN 'CONFIRMED'
                          ELSE 'NOT_CONFIRMED' END AS code,
                     CASE WHEN t.req IS NULL THEN 'NO_PAIR_ABOVE_0.5'
                          WHEN t.p < {THRESHOLD} THEN 'TOP_MATCH_BELOW_{THRESHOLD}'
                          WHEN NOT t.same_dp THEN 'DELIVERY_POINT_MISMATCH'
                          {several_reason}
                          ELSE 'MATCH' END
                       || ' p=' || coalesce(printf('%.6f', t.p), '-') || ' n_sure=' || coalesce(t.n_sure, 0)
                       AS reason
              FROM request_ids r LEFT JOIN top t ON t.req = r.unique_id
              ORDER BY CAST(r.unique_id AS BIGINT)
            ) TO '{work / name}' (HEADER, DELIMITER ',')
            """
        )
    decide_seconds = time.perf_counter() - started
    con.close()
    return {"predict_seconds": round(predict_seconds, 1), "decide_seconds": round(decide_seconds, 1),
            "pairs_scored_at_p_ge_0.5": pairs}  # fmt: skip


STAGES = {"prepare": stage_prepare, "train": stage_train, "predict": stage_predict}


# --- report -----------------------------------------------------------------------------------


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}" if value < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def side_by_side(report: dict[str, Any]) -> str:
    systems = report["systems"]
    names = list(systems)
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key in ("recall", "recall_with_dob", "recall_without_dob", "false_confirmations",
                "false_confirmations_per_100k"):  # fmt: skip
        lines.append(f"| {key} | " + " | ".join(fmt(systems[n]["score"][key]) for n in names) + " |")
    lines.append("")
    lines.append("| stage | wall time (s) | CPU (s) | peak RSS (MiB) |")
    lines.append("|---|---:|---:|---:|")
    for stage, cell in report["timings"].items():
        lines.append(
            f"| {stage} | {cell['seconds']:,.1f} | {cell['cpu_seconds']:,.1f} | {cell['peak_rss_mib']:,} |"
        )
    for system, total in report["end_to_end"].items():
        lines.append(f"| **{system} end to end** | {total['seconds']:,.1f} | {total['cpu_seconds']:,.1f} | "
                     f"{total['peak_rss_mib']:,} |")  # fmt: skip
    lines.append("")
    header = "| category | requests | should confirm |"
    rule = "|---|---:|---:|"
    for n in names:
        header += f" {n} confirmed | {n} false conf. |"
        rule += "---:|---:|"
    lines += [header, rule]
    first = systems[names[0]]["score"]["per_category"]
    for category, cell in first.items():
        row = f"| {category} | {cell.get('requests', 0)} | {cell.get('should_confirm', 0)} |"
        for n in names:
            other = systems[n]["score"]["per_category"][category]
            row += f" {other.get('got_CONFIRMED', 0)} | {other.get('false_confirmations', 0)} |"
        lines.append(row)
    lines.append("")
    for line in report["ratios"].values():
        lines.append(f"- {line}")
    return "\n".join(lines)


def ratios(report: dict[str, Any]) -> dict[str, str]:
    c, s = report["systems"]["custos"]["score"], report["systems"]["splink"]["score"]
    fc_c, fc_s = c["false_confirmations"], s["false_confirmations"]
    tc, ts = report["end_to_end"]["custos"]["seconds"], report["end_to_end"]["splink"]["seconds"]
    out = {
        "false_confirmations": (
            f"false confirmations: custos {fc_c} ({c['false_confirmations_per_100k']} per 100k), "
            f"Splink {fc_s} ({s['false_confirmations_per_100k']} per 100k); Splink / custos = "
            + (f"{fc_s / fc_c:.1f}" if fc_c else "undefined (custos has none)")
        ),
        "speed": (
            f"end to end (excluding generation): custos {tc:.1f} s, Splink {ts:.1f} s; "
            f"Splink / custos = {ts / tc:.2f}"
        ),
        "recall": f"recall (all): custos {c['recall']}, Splink {s['recall']}",
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "splink_compare")
    parser.add_argument("--u-max-pairs", type=float, default=1e7, help="Splink u sampling pairs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="standardization processes")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads for Splink")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory limit for Splink")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:  # a Splink stage in its own process: write its inner figures and exit
        relax_garbage_collector()  # as custos's CLI does, so neither side is slowed by the collector
        details = STAGES[args.stage](args.work, args)
        (args.work / f"{args.stage}.json").write_text(json.dumps(details, indent=2))
        return

    data = args.out / f"synth-{args.master}-{args.requests}-{args.seed}"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    work = data / "splink"
    work.mkdir()
    log = data / "stages.log"
    timings: dict[str, dict[str, float]] = {}
    run_stage("generate", custos_argv("synth", "--out", str(data), "--master", str(args.master),
              "--requests", str(args.requests), "--seed", str(args.seed)), log, timings)  # fmt: skip
    index = data / "master.idx"
    run_stage("custos load", custos_argv("master", "load", str(data / "master.csv"), "--into", str(index)),
              log, timings)  # fmt: skip
    run_stage("custos match", custos_argv("match", "--master", str(index), "--requests",
              str(data / "requests.csv"), "--out", str(data / "results.csv")), log, timings)  # fmt: skip
    for stage in ("prepare", "train", "predict"):
        run_stage(f"splink {stage}", splink_argv(stage, work, args), log, timings)

    def total(prefix: str) -> dict[str, float]:
        cells = [v for k, v in timings.items() if k.startswith(prefix)]
        return {"seconds": round(sum(c["seconds"] for c in cells), 1),
                "cpu_seconds": round(sum(c["cpu_seconds"] for c in cells), 1),
                "peak_rss_mib": max(c["peak_rss_mib"] for c in cells)}  # fmt: skip

    splink_details = {
        s: json.loads((work / f"{s}.json").read_text()) for s in ("prepare", "train", "predict")
    }
    report: dict[str, Any] = {
        "master": args.master,
        "requests": args.requests,
        "seed": args.seed,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "duckdb": duckdb.__version__},
        "splink_config": {
            "version": _splink_version(),
            "threshold_match_probability": THRESHOLD,
            "predict_output_threshold": 0.5,
            "decision": "top match per request; CONFIRMED if p >= 0.99 and same delivery_point_key",
            "deterministic_rules_for_lambda": DETERMINISTIC_RULES,
            "deterministic_recall": DETERMINISTIC_RECALL,
            "u_max_pairs": args.u_max_pairs,
            "u_seed": 1,
            "em_blocking_rules": EM_RULES,
            "duckdb_threads": args.threads,
            "duckdb_memory_limit": args.memory_limit,
            "standardization_workers": args.workers,
            "model": json.loads((work / "model.json").read_text()),
        },
        "splink_stage_details": splink_details,
        "timings": timings,
        "end_to_end": {"custos": total("custos"), "splink": total("splink")},
        "systems": {
            "custos": {"score": score(data, data / "results.csv")},
            "splink": {"score": score(data, work / "results.csv")},
            "splink_unique": {"score": score(data, work / "results_unique.csv")},
        },
    }
    report["ratios"] = ratios(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "splink_compare.json").write_text(json.dumps(report, indent=2, default=list))
    print(f"\nmaster {args.master:,} / requests {args.requests:,} / seed {args.seed}")
    print(json.dumps(splink_details, indent=2))
    print(side_by_side(report))
    if not args.keep:
        shutil.rmtree(data)


def _splink_version() -> str:
    return version("splink")


if __name__ == "__main__":
    main()
