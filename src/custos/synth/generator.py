"""One run of the generator: stream the master file, then build and write the requests.

The master file is written while the population is generated, and only a
reservoir sample of households (sized from what the request mix needs) is
kept, so memory stays flat from a thousand taxpayers to tens of millions.
Separate random streams for the population, the sampling and the requests
make the master file depend only on the seed and its size.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from custos.errors import ConfigError
from custos.synth.addresses import AddressBook
from custos.synth.categories import CATEGORIES, REQUEST_MIX, allocate
from custos.synth.names import NameTables, load_name_tables
from custos.synth.population import (
    POOL_ANY,
    Household,
    NameSource,
    PopulationGenerator,
    TinIssuer,
    address_in,
    pools_of,
    timeline_of,
)
from custos.synth.requests import RequestBuilder
from custos.synth.sampling import Reservoir, make_rng
from custos.synth.writer import MASTER_COLUMNS, REQUEST_COLUMNS, TRUTH_COLUMNS, Format, Row, TableWriter

# Constant values for the request columns the matching engine does not read (interchange §2).
REQUEST_CONSTANTS: dict[str, str] = {
    "a_number": "A201555017",
    "removal_order_date": "2024-03-15",
    "removal_order_case_number": "EOIR-CHI-2024-004517",
    "investigation_id": "HSI-CI-2025-000123",
    "statute": "8 U.S.C. 1253(a)(1)",
    "reason": "Subject of a final order of removal; the current address is needed to locate the subject "
    "for the criminal investigation named in investigation_id",
    "taxable_periods": "2022,2023,2024",
    "recipients": "OFFICER-0417;OFFICER-0932",
}
ITIN_SHARE = 0.04  # of Hispanic taxpayers
POOL_HEADROOM = 1.5
PROGRESS_EVERY = 25_000

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What a run wrote."""

    out_dir: Path
    fmt: Format
    master_taxpayers: int
    master_rows: int
    households: int
    households_by_kind: dict[str, int]
    requests: int
    categories: dict[str, int]
    expected_codes: dict[str, int]
    shortfall: dict[str, int]
    seconds: float
    files: tuple[Path, ...]


def _pool_capacities(counts: dict[str, int]) -> dict[str, int]:
    need: defaultdict[str, float] = defaultdict(float)
    for name, count in counts.items():
        for pool, share in CATEGORIES[name].pools:
            need[pool] += count * share
    need[POOL_ANY] += 1
    return {pool: int(n * POOL_HEADROOM) + 32 for pool, n in need.items()}


def _trim(site: list[Household], room: int) -> int:
    """Make people beyond ``room`` non-filers; return how many filers the site keeps."""
    kept = 0
    for household in site:
        for person in household.members:
            if person.filer:
                if kept < room:
                    kept += 1
                else:
                    person.filer = False
    return kept


class _MasterStream:
    """Writes each taxpayer's rows and offers each household to the request pools."""

    def __init__(
        self,
        writer: TableWriter,
        tins: TinIssuer,
        pools: dict[str, Reservoir[Household]],
        gen: PopulationGenerator,
    ):
        self.writer = writer
        self.tins = tins
        self.pools = pools
        self.rng = gen.rng
        self.rows: list[Row] = []
        self.taxpayers = 0
        self.kinds: Counter[str] = Counter()

    def household(self, household: Household) -> None:
        rng, rows = self.rng, self.rows
        self.kinds[household.kind] += 1
        for person in household.members:
            if not person.filer:
                continue
            person.tin = (
                self.tins.itin() if household.hispanic and rng.random() < ITIN_SHARE else self.tins.ssn()
            )
            dob = person.dob if person.dob_on_file else ""
            head = (person.tin, person.given, person.middle, person.surname, person.suffix, dob)
            timeline = timeline_of(person, household)
            years = range(person.first_year, person.latest_year + 1)
            if rng.random() < 0.4:
                years = years[::-1]
            if len(timeline) == 1:
                master = timeline[0][1].master
                rows += [(*head, *master, year) for year in years]
            else:
                rows += [(*head, *address_in(timeline, year).master, year) for year in years]
            self.taxpayers += 1
        for pool in pools_of(household):
            reservoir = self.pools.get(pool)
            if reservoir is not None:
                reservoir.add(household)
        if len(rows) >= 20_000:
            self.flush()

    def flush(self) -> None:
        self.writer.write(self.rows)
        self.rows = []


def generate(
    out_dir: Path,
    *,
    master: int,
    requests: int,
    seed: int = 0,
    fmt: Format = "csv",
    mix: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> SynthSummary:
    """Write ``master``, ``requests`` and ``truth`` files (CSV or Parquet) to ``out_dir``."""
    started = time.perf_counter()
    if master < 1 or requests < 0:
        raise ConfigError("custos synth needs --master of at least 1 and --requests of at least 0")
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"custos synth writes csv or parquet, not {fmt!r}")
    try:
        counts = allocate(requests, REQUEST_MIX if mix is None else mix) if requests else {}
    except ValueError as exc:
        raise ConfigError(f"custos synth: {exc}") from exc
    tables = load_name_tables()
    out_dir.mkdir(parents=True, exist_ok=True)
    # The population is free of reference cycles, so the cyclic collector only costs time here
    # (a quarter of it, scanning row tuples); reference counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(
            out_dir,
            master=master,
            counts=counts,
            seed=seed,
            fmt=fmt,
            tables=tables,
            progress=progress,
            started=started,
        )
    finally:
        if collecting:
            gc.enable()


def _generate(
    out_dir: Path,
    *,
    master: int,
    counts: dict[str, int],
    seed: int,
    fmt: Format,
    tables: NameTables,
    progress: Progress | None,
    started: float,
) -> SynthSummary:
    requests = sum(counts.values())
    files = tuple(out_dir / f"{name}.{fmt}" for name in ("master", "requests", "truth"))

    key_rng = make_rng(seed, "keys")
    population_rng = make_rng(seed, "population")
    book = AddressBook(population_rng, key_rng)
    gen = PopulationGenerator(population_rng, tables, book)
    pool_rng = make_rng(seed, "pools")
    pools = {pool: Reservoir[Household](pool_rng, cap) for pool, cap in _pool_capacities(counts).items()}

    with TableWriter(files[0], MASTER_COLUMNS, fmt) as writer:
        stream = _MasterStream(writer, TinIssuer(key_rng), pools, gen)
        reported = 0
        for site in gen.sites():
            _trim(site, master - stream.taxpayers)
            for household in site:
                stream.household(household)
            if progress is not None and stream.taxpayers - reported >= PROGRESS_EVERY:
                reported = stream.taxpayers
                progress("master", reported, master)
            if stream.taxpayers >= master:
                break
        stream.flush()
        master_rows = writer.rows_written
    if progress is not None:
        progress("master", stream.taxpayers, master)

    request_rng = make_rng(seed, "requests")
    book.rng = request_rng
    builder = RequestBuilder(request_rng, pools, book, NameSource(request_rng, tables))
    report = None if progress is None else (lambda done: progress("requests", done, requests))
    drafts, shortfall = builder.build(counts, report)
    constants = tuple(REQUEST_CONSTANTS[c] for c in REQUEST_COLUMNS[12:])
    with (
        TableWriter(files[1], REQUEST_COLUMNS, fmt) as req,
        TableWriter(files[2], TRUTH_COLUMNS, fmt) as truth,
    ):
        width = max(7, len(str(len(drafts))))
        request_rows: list[Row] = []
        truth_rows: list[Row] = []
        for i, d in enumerate(drafts, start=1):
            record_id = f"SYN-{i:0{width}d}"
            request_rows.append(
                (record_id, d.given, d.middle, d.surname, d.suffix, d.dob, *d.lines, d.tin, *constants)
            )
            truth_rows.append((record_id, d.category, d.expected, d.true_tin, d.note))
        req.write(request_rows)
        truth.write(truth_rows)
    if progress is not None:
        progress("requests", len(drafts), requests)
    return SynthSummary(
        out_dir=out_dir,
        fmt=fmt,
        master_taxpayers=stream.taxpayers,
        master_rows=master_rows,
        households=sum(stream.kinds.values()),
        households_by_kind=dict(stream.kinds),
        requests=len(drafts),
        categories=dict(Counter(d.category for d in drafts)),
        expected_codes=dict(Counter(d.expected for d in drafts)),
        shortfall=shortfall,
        seconds=time.perf_counter() - started,
        files=files,
    )
