"""``custos master load`` and ``custos match`` (interchange.md section 4).

The engine runs on its own here, without envelope or statute checks, for
accuracy assessments and benchmarks.  ``match`` reads only the identity and
address columns of the request file, writes ``record_id, code, reason``,
shows a progress bar on a terminal and ends with counts by code and reason.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from custos.intake.spreadsheet import neutralize_formula
from custos.matching.batch import BatchMatcher
from custos.matching.index import build_index
from custos.matching.tabular import (
    REQUEST_IDENTITY,
    REQUEST_REQUIRED,
    check_columns,
    scan_sql,
    select_columns,
)
from custos.matching.workers import relax_garbage_collector

master_app = typer.Typer(help="Build the master index the engine matches against.", no_args_is_help=True)

MemoryOption = Annotated[str, typer.Option(help="DuckDB memory limit, e.g. 4GB.")]
ThreadsOption = Annotated[int, typer.Option(help="DuckDB threads.")]
DEFAULT_WORKERS = os.cpu_count() or 1
WorkersOption = Annotated[int, typer.Option(help="Processes standardizing names and addresses.")]
_OTHER_REQUEST_COLUMNS = (
    "tin", "a_number", "removal_order_date", "removal_order_case_number", "investigation_id",
    "statute", "reason", "taxable_periods", "recipients",
)  # fmt: skip
BATCH = 10_000


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not console.is_terminal,
    )  # fmt: skip


@master_app.command("load")
def load(
    master: Annotated[Path, typer.Argument(help="Master extract, CSV or Parquet.")],
    into: Annotated[Path, typer.Option("--into", help="Index file to build (replaced if present).")],
    memory_limit: MemoryOption = "4GB",
    threads: ThreadsOption = 2,
    workers: WorkersOption = DEFAULT_WORKERS,
) -> None:
    """Build the on-disk master index from an extract."""
    relax_garbage_collector()
    console = Console(stderr=True)
    with _progress(console) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(label: str, rows: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"standardizing {label}", total=None)
            progress.advance(tasks[label], rows)

        timings: dict[str, float] = {}
        info = build_index(master, into, memory_limit=memory_limit, threads=threads, workers=workers,
                           progress=advance, timings=timings)  # fmt: skip
    Console().print(
        f"Indexed {info.taxpayers:,} taxpayers from {info.source_rows:,} rows of {master} into {into}\n"
        f"  rows rejected (bad TIN or tax year): {info.rejected_rows:,}\n"
        f"  snapshot {info.snapshot_id}\n  normalizer {info.normalizer_version}",
        soft_wrap=True,
    )
    stages = Table("stage", "seconds", title="Time by stage")
    for stage, seconds in timings.items():
        stages.add_row(stage, f"{seconds:.1f}")
    Console().print(stages)


def match(
    *,
    master: Annotated[Path, typer.Option("--master", help="Master index, or a CSV/Parquet extract.")],
    requests: Annotated[Path, typer.Option("--requests", help="Request file, CSV or Parquet.")],
    out: Annotated[Path, typer.Option("--out", help="Results CSV: record_id, code, reason.")],
    memory_limit: MemoryOption = "4GB",
    threads: ThreadsOption = 2,
    workers: WorkersOption = DEFAULT_WORKERS,
) -> None:
    """Match requests against the master file and write one result per request."""
    relax_garbage_collector()
    console = Console(stderr=True)
    scratch: tempfile.TemporaryDirectory[str] | None = None
    reader = duckdb.connect()
    columns = check_columns(reader, requests, REQUEST_REQUIRED, REQUEST_IDENTITY + _OTHER_REQUEST_COLUMNS)
    if master.suffix.lower() in {".csv", ".parquet"}:
        scratch = tempfile.TemporaryDirectory(prefix="custos-index-")
        index_path = Path(scratch.name) / "master.duckdb"
        console.print(f"Building a temporary index from {master} ...")
        build_index(master, index_path, memory_limit=memory_limit, threads=threads, workers=workers)
    else:
        index_path = master
    counts: Counter[tuple[str, str]] = Counter()
    try:
        matcher = BatchMatcher(index_path, workers=workers, memory_limit=memory_limit, threads=threads)
    except BaseException:
        reader.close()
        if scratch is not None:
            scratch.cleanup()
        raise
    try:
        total = reader.execute(f"SELECT count(*) FROM {scan_sql(requests)}").fetchall()[0][0]
        stream = reader.sql(
            f"SELECT {select_columns(columns, REQUEST_IDENTITY)} FROM {scan_sql(requests)}"
        ).to_arrow_reader(BATCH)
        with out.open("w", newline="", encoding="utf-8") as handle, _progress(console) as progress:
            writer = csv.writer(handle)
            writer.writerow(["record_id", "code", "reason"])
            task = progress.add_task("matching", total=total)
            for decisions in matcher.match(batch.to_pylist() for batch in stream):
                for decision in decisions:
                    writer.writerow(
                        [neutralize_formula(decision.record_id), decision.code.value, decision.reason.value]
                    )
                    counts[(decision.code.value, decision.reason.value)] += 1
                progress.advance(task, len(decisions))
    finally:
        matcher.close()
        reader.close()
        if scratch is not None:
            scratch.cleanup()
    _summary(Console(), counts, out, matcher.index.info.snapshot_id)


def _summary(console: Console, counts: Counter[tuple[str, str]], out: Path, snapshot: str) -> None:
    table = Table("code", "reason", "records", title=f"Results written to {out}")
    for (code, reason), number in sorted(counts.items()):
        table.add_row(code, reason, f"{number:,}")
    table.add_section()
    table.add_row("total", "", f"{sum(counts.values()):,}")
    console.print(table)
    console.print(f"master snapshot {snapshot}", soft_wrap=True)
