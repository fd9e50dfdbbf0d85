"""``custos synth``: write a labelled synthetic master file, request batch and truth file.

A thin adapter over :func:`custos.synth.generate`: it parses the options,
shows a progress bar on a terminal and prints what was written.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from custos.errors import ConfigError
from custos.synth import CATEGORIES, REQUEST_MIX, generate


class OutputFormat(StrEnum):
    """File format of the three output files."""

    CSV = "csv"
    PARQUET = "parquet"


def parse_mix(text: str) -> dict[str, float]:
    """The default request mix with the weights given as ``name=weight,...`` replaced."""
    weights = dict(REQUEST_MIX)
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in CATEGORIES:
            raise ConfigError(f"--mix: unknown category {name!r}; known: {', '.join(CATEGORIES)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ConfigError(f"--mix: {name} needs a number, e.g. {name}=0.1") from None
    return weights


def run_synth(
    *,
    out: Annotated[
        Path, typer.Option("--out", help="Directory for master, requests and truth files (overwritten).")
    ],
    master: Annotated[
        int, typer.Option("--master", min=1, help="Number of taxpayers in the master file.")
    ] = 10_000,
    requests: Annotated[int, typer.Option("--requests", min=0, help="Number of requests.")] = 1_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output file format.")] = OutputFormat.CSV,
    mix: Annotated[
        str | None,
        typer.Option(
            "--mix",
            help="Override category weights, e.g. 'exact=0.5,moved_old_address=0.3' (0 drops a category); "
            "the others keep their default weights.",
        ),
    ] = None,
) -> None:
    """Generate a labelled synthetic master file, request batch and truth file."""
    weights = parse_mix(mix) if mix else None
    console = Console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
        tasks = {
            "master": bar.add_task("master taxpayers", total=master),
            "requests": bar.add_task("requests", total=requests, start=False),
        }

        def progress(phase: str, done: int, total: int) -> None:
            if phase == "requests":
                bar.start_task(tasks[phase])
            bar.update(tasks[phase], completed=done, total=total)

        summary = generate(
            out, master=master, requests=requests, seed=seed, fmt=fmt.value, mix=weights, progress=progress
        )

    console.print(
        f"Wrote {summary.master_taxpayers:,} taxpayers ({summary.master_rows:,} tax-year rows, "
        f"{summary.households:,} households) and {summary.requests:,} requests in {summary.seconds:.1f} s"
    )
    for path in summary.files:
        console.print(f"  {path}")
    table = Table("category", "requests", "usual expected code", box=None, pad_edge=False)
    for name, category in CATEGORIES.items():
        if summary.categories.get(name):
            table.add_row(name, f"{summary.categories[name]:,}", category.expected)
    console.print(table)
    codes = ", ".join(f"{code} {n:,}" for code, n in sorted(summary.expected_codes.items()))
    console.print(f"expected codes: {codes}")
    for name, missing in summary.shortfall.items():
        console.print(
            f"[yellow]warning:[/yellow] {missing:,} {name} requests could not be built from a master file "
            "this small and were replaced by exact copies",
            highlight=False,
        )
