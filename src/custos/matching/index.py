"""The master index: one DuckDB file built from a master extract, read by every match.

Building it (``custos master load``) streams the extract through DuckDB, so
memory is bounded by the configured DuckDB limit rather than the file:

1. Every row is read as text; the address of record of each TIN is its row
   with the latest tax year (ties: the last such row in the file).
2. Distinct raw addresses and distinct raw names are standardized in Python,
   in batches, and joined back; a master has far fewer distinct addresses
   than rows, because people share homes.
3. One ``taxpayer`` row per TIN holds the standardized name, date of birth and
   delivery point, ordered and indexed by street key (the blocking key every
   request uses); name-token frequency tables feed term-frequency weights and
   the common-name check.
4. The snapshot id is a hash of the extract's bytes with the index and
   normalizer versions, so every decision names exactly what it was made against.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from custos.digests import file_digest
from custos.errors import Error
from custos.matching.models import Candidate
from custos.matching.tabular import MASTER_COLUMNS, MASTER_REQUIRED, check_columns, scan_sql, select_columns
from custos.matching.workers import spawn_pool
from custos.standardize.addresses import standardize_address
from custos.standardize.models import NORMALIZER_VERSION, StandardName, Suffix
from custos.standardize.names import (
    standardize_given_part,
    standardize_suffix_field,
    standardize_surname_part,
)

logger = logging.getLogger(__name__)

INDEX_VERSION = "custos-index-2"
BATCH_ROWS = 50_000
SMALL_LOOKUP = 25
Progress = Callable[[str, int], None]


class MasterIndexError(Error):
    """The master index is missing, of another version, or could not be built."""


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What an index was built from."""

    snapshot_id: str
    taxpayers: int
    source_rows: int
    rejected_rows: int
    normalizer_version: str
    index_version: str


@contextmanager
def _stage(name: str, timings: dict[str, float]) -> Iterator[None]:
    """Time a build stage: the operator sees where a long load spends its time."""
    started = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - started, 1)
    logger.info("index build: %s took %.1f s", name, timings[name])


def _connect(
    path: Path | str, memory_limit: str, threads: int, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path), read_only=read_only)
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute("SET preserve_insertion_order = true")
    return connection


_TEXT, _TEXTS = pa.string(), pa.list_(pa.string())
_ADDRESS_SCHEMA = pa.schema(
    [(n, _TEXT) for n in ("a1", "a2", "ci", "st", "zi", "dp_key", "street_key", "zip5", "kind")]
    + [("problems", _TEXTS)]
)
_GIVEN_SCHEMA = pa.schema([(n, _TEXT) for n in ("gn", "mn", "given", "given_tokens", "middle", "gsx")])
_SURNAME_SCHEMA = pa.schema(
    [(n, _TEXT) for n in ("sn", "surname", "surname_tokens", "surname_joined", "ssx")]
)
_SUFFIX_SCHEMA = pa.schema([(n, _TEXT) for n in ("sx", "fsx")])


def _suffix_text(suffix: Suffix | None) -> str | None:
    return suffix.value if suffix else None


def _addresses(rows: Iterable[tuple[str, ...]]) -> pa.Table:
    out: list[tuple[object, ...]] = []
    for a1, a2, ci, st, zi in rows:
        address = standardize_address(a1 or None, a2 or None, ci or None, st or None, zi or None)
        out.append((a1, a2, ci, st, zi, address.delivery_point_key, address.street_key, address.zip5,
                    address.kind.value, list(address.problems)))  # fmt: skip
    return _table(out, _ADDRESS_SCHEMA)


def _given_parts(rows: Iterable[tuple[str, ...]]) -> pa.Table:
    out = []
    for gn, mn in rows:
        part = standardize_given_part(gn or None, mn or None)
        out.append((gn, mn, part.given, " ".join(part.given_tokens), part.middle, _suffix_text(part.suffix)))
    return _table(out, _GIVEN_SCHEMA)


def _surname_parts(rows: Iterable[tuple[str, ...]]) -> pa.Table:
    out = []
    for (sn,) in rows:
        part = standardize_surname_part(sn or None)
        out.append((sn, part.surname, " ".join(part.surname_tokens), "".join(part.surname_tokens),
                    _suffix_text(part.suffix)))  # fmt: skip
    return _table(out, _SURNAME_SCHEMA)


def _suffix_fields(rows: Iterable[tuple[str, ...]]) -> pa.Table:
    return _table(
        [(sx, _suffix_text(standardize_suffix_field(sx or None))) for (sx,) in rows], _SUFFIX_SCHEMA
    )


def _table(rows: Sequence[tuple[object, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    return pa.table({name: list(values) for name, values in zip(schema.names, columns, strict=True)},
                    schema=schema)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Part:
    """One standardized lookup table of the index: distinct raw values in, standard values out."""

    table: str
    columns: str
    label: str
    convert: Callable[[Iterable[tuple[str, ...]]], pa.Table]
    schema: pa.Schema


# Names are standardized in parts (given+middle, surname, suffix field) and combined in SQL as
# custos.standardize.names.combine_name_parts does: far fewer distinct values than full names.
_PARTS = {
    part.table: part
    for part in (
        _Part("addr", "a1, a2, ci, st, zi", "addresses", _addresses, _ADDRESS_SCHEMA),
        _Part("given_part", "gn, mn", "given names", _given_parts, _GIVEN_SCHEMA),
        _Part("surname_part", "sn", "surnames", _surname_parts, _SURNAME_SCHEMA),
        _Part("suffix_part", "sx", "suffixes", _suffix_fields, _SUFFIX_SCHEMA),
    )
}


def name_key(name: StandardName) -> str:
    """Exact-name key for the common-name check: first given token and joined surname."""
    first = name.given_tokens[0] if name.given_tokens else ""
    return f"{first}|{name.surname_joined}"


def _convert_page(table: str, source: str, target: str) -> tuple[str, int]:
    """Standardize one page file of distinct raw values into a page file of results (in a worker)."""
    raw = pq.read_table(source, columns=[c.strip() for c in _PARTS[table].columns.split(",")])
    rows = zip(*(column.to_pylist() for column in raw.columns), strict=True)
    result = _PARTS[table].convert(rows)
    pq.write_table(result, target)
    return table, result.num_rows


def _standardize_parts(
    connection: duckdb.DuckDBPyConnection, pages: Path, workers: int, progress: Progress | None
) -> None:
    """Standardize every distinct address and name part once, in pages, on ``workers`` processes.

    Each table's distinct raw values are written to parquet pages of BATCH_ROWS
    rows; workers read a page file and write a result file, so the parent only
    schedules (no rows pass through it), and memory stays bounded by the page size.
    """
    tasks: list[tuple[str, str, str]] = []
    for part in _PARTS.values():
        folder = pages / part.table
        connection.execute(
            f"COPY (SELECT *, (row_number() OVER () - 1) // {BATCH_ROWS} AS page "
            f"FROM (SELECT DISTINCT {part.columns} FROM record)) "
            f"TO '{folder}' (FORMAT parquet, PARTITION_BY (page))"
        )
        for number, source in enumerate(sorted(folder.glob("page=*/*.parquet"))):
            tasks.append((part.table, str(source), str(pages / f"{part.table}-{number}.parquet")))
    labels = {part.table: part.label for part in _PARTS.values()}

    def done(table: str, rows: int) -> None:
        if progress:
            progress(labels[table], rows)

    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            done(*_convert_page(*task))
    else:
        with spawn_pool(workers) as pool:
            for future in as_completed([pool.submit(_convert_page, *task) for task in tasks]):
                done(*future.result())
    for part in _PARTS.values():
        connection.register("empty_part", part.schema.empty_table())
        results = str(pages / f"{part.table}-*.parquet")
        connection.execute(
            f"CREATE TEMP TABLE {part.table} AS SELECT * FROM empty_part UNION ALL "
            f"SELECT * FROM read_parquet('{results}')"
            if any(pages.glob(f"{part.table}-*.parquet"))
            else f"CREATE TEMP TABLE {part.table} AS SELECT * FROM empty_part"
        )
        connection.unregister("empty_part")


def build_index(
    source: Path,
    target: Path,
    *,
    memory_limit: str = "4GB",
    threads: int = 2,
    workers: int = 1,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
) -> IndexInfo:
    """Build the index at ``target`` from the extract at ``source`` (CSV or Parquet).

    ``workers`` processes standardize names and addresses.  They are spawned
    (see :mod:`custos.matching.workers`), so a script that asks for more than
    one must guard its entry point with ``if __name__ == "__main__"``.  Each
    stage's wall time in seconds goes into ``timings`` when given.
    """
    timings = {} if timings is None else timings
    scratch = target.with_name(target.name + ".building")
    pages = target.with_name(target.name + ".pages")
    scratch.unlink(missing_ok=True)
    shutil.rmtree(pages, ignore_errors=True)
    connection = _connect(scratch, memory_limit, threads)
    built = False
    try:
        columns = check_columns(connection, source, MASTER_REQUIRED, MASTER_COLUMNS)
        with _stage("snapshot digest", timings):
            snapshot = (
                "sha256:"
                + hashlib.sha256(
                    f"{file_digest(source).removeprefix('sha256:')}|{INDEX_VERSION}|{NORMALIZER_VERSION}".encode()
                ).hexdigest()
            )
        with _stage("read and resolve the address of record", timings):
            source_rows, valid_rows = _read_records(connection, source, columns)
        with _stage("standardize addresses and names", timings):
            pages.mkdir()
            _standardize_parts(connection, pages, workers, progress)
        with _stage("write taxpayers", timings):
            taxpayers = _write_taxpayers(connection)
        with _stage("write name frequencies", timings):
            _write_frequencies(connection)
        info = IndexInfo(snapshot, taxpayers, source_rows, source_rows - valid_rows, NORMALIZER_VERSION,
                         INDEX_VERSION)  # fmt: skip
        _write_meta(connection, info, source)
        with _stage("checkpoint", timings):
            connection.execute("CHECKPOINT")
        built = True
    except duckdb.Error as exc:
        raise MasterIndexError(f"building the index from {source} failed: {exc}") from exc
    finally:
        connection.close()
        shutil.rmtree(pages, ignore_errors=True)
        if not built:  # a failed build leaves the current index as it was, and nothing beside it
            scratch.unlink(missing_ok=True)
            scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
    if target.is_dir():
        shutil.rmtree(target)
    # One atomic rename: a reader sees the old index or the new one, never none; a server that
    # has the old file open keeps reading it until it reopens (docs/deployment.md, refresh).
    os.replace(scratch, target)
    return info


def _read_records(connection: duckdb.DuckDBPyConnection, source: Path, columns: list[str]) -> tuple[int, int]:
    """Table ``record``: each valid TIN's row of its latest tax year; returns (rows, valid rows)."""
    connection.execute(
        f"CREATE TEMP TABLE raw AS SELECT {select_columns(columns, MASTER_COLUMNS)}, "
        f"row_number() OVER () AS file_row FROM {scan_sql(source)}"
    )
    source_rows = connection.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    connection.execute(
        """
        CREATE TEMP TABLE record AS
        SELECT trim(tin) AS tin,
               coalesce(given_name, '') AS gn, coalesce(middle_name, '') AS mn,
               coalesce(surname, '') AS sn, coalesce(name_suffix, '') AS sx,
               nullif(trim(dob), '') AS dob,
               coalesce(address_line1, '') AS a1, coalesce(address_line2, '') AS a2,
               coalesce(city, '') AS ci, coalesce(state, '') AS st, coalesce(zip, '') AS zi
        FROM raw
        WHERE regexp_full_match(trim(tin), '[0-9]{9}') AND TRY_CAST(trim(tax_year) AS INTEGER) IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY trim(tin) ORDER BY TRY_CAST(trim(tax_year) AS INTEGER) DESC, file_row DESC
        ) = 1
        """
    )
    valid_rows = connection.execute(
        "SELECT count(*) FROM raw WHERE regexp_full_match(trim(tin), '[0-9]{9}') "
        "AND TRY_CAST(trim(tax_year) AS INTEGER) IS NOT NULL"
    ).fetchall()[0][0]
    connection.execute("DROP TABLE raw")
    return int(source_rows), int(valid_rows)


def _write_taxpayers(connection: duckdb.DuckDBPyConnection) -> int:
    """One row per TIN, ordered and indexed by street key (the blocking key of every request)."""
    connection.execute(
        """
        CREATE TABLE taxpayer AS
        SELECT CAST(row_number() OVER (ORDER BY a.street_key, r.tin) AS INTEGER) AS id, r.tin, r.dob,
               g.given, g.given_tokens, g.middle, s.surname, s.surname_tokens,
               coalesce(f.fsx, s.ssx, g.gsx) AS suffix,
               split_part(g.given_tokens, ' ', 1) || '|' || s.surname_joined AS name_key,
               a.dp_key, a.street_key, a.zip5, a.kind
        FROM record r
        JOIN addr a USING (a1, a2, ci, st, zi)
        JOIN given_part g USING (gn, mn)
        JOIN surname_part s USING (sn)
        JOIN suffix_part f USING (sx)
        ORDER BY a.street_key, r.tin
        """
    )
    connection.execute("CREATE INDEX taxpayer_street ON taxpayer (street_key)")
    for table in ("record", *_PARTS):
        connection.execute(f"DROP TABLE {table}")
    return int(connection.execute("SELECT count(*) FROM taxpayer").fetchall()[0][0])


def _write_frequencies(connection: duckdb.DuckDBPyConnection) -> None:
    """Name-token counts for term-frequency weights and the common-name check."""
    connection.execute(
        "CREATE TABLE surname_freq AS SELECT t AS token, count(*) AS n "
        "FROM (SELECT unnest(string_split(surname_tokens, ' ')) AS t FROM taxpayer "
        "WHERE surname_tokens <> '') GROUP BY t"
    )
    connection.execute(
        "CREATE TABLE given_freq AS SELECT split_part(given_tokens, ' ', 1) AS token, count(*) AS n "
        "FROM taxpayer WHERE given_tokens <> '' GROUP BY 1"
    )
    connection.execute("CREATE TABLE name_freq AS SELECT name_key, count(*) AS n FROM taxpayer GROUP BY 1")
    connection.execute("CREATE INDEX name_freq_key ON name_freq (name_key)")
    connection.execute("CREATE INDEX surname_freq_token ON surname_freq (token)")
    connection.execute("CREATE INDEX given_freq_token ON given_freq (token)")


def _write_meta(connection: duckdb.DuckDBPyConnection, info: IndexInfo, source: Path) -> None:
    connection.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    connection.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [(k, str(v)) for k, v in (
            ("snapshot_id", info.snapshot_id), ("taxpayers", info.taxpayers),
            ("source_rows", info.source_rows), ("rejected_rows", info.rejected_rows),
            ("normalizer_version", info.normalizer_version), ("index_version", info.index_version),
            ("source", source.name),
        )],
    )  # fmt: skip


class MasterIndex:
    """Read access to a built index: candidates by street and name statistics."""

    def __init__(self, path: Path, *, memory_limit: str = "4GB", threads: int = 2) -> None:
        if not path.is_file():
            raise MasterIndexError(f"{path}: no master index; build one with 'custos master load'")
        try:
            self._connection = _connect(path, memory_limit, threads, read_only=True)
            meta = dict(self._connection.execute("SELECT key, value FROM meta").fetchall())
        except duckdb.Error as exc:
            raise MasterIndexError(f"{path} is not a custos master index: {exc}") from exc
        if meta.get("index_version") != INDEX_VERSION or meta.get("normalizer_version") != NORMALIZER_VERSION:
            raise MasterIndexError(
                f"{path} was built by index {meta.get('index_version')} / normalizer "
                f"{meta.get('normalizer_version')}; this custos needs {INDEX_VERSION} / "
                f"{NORMALIZER_VERSION}: rebuild it with 'custos master load'"
            )
        self.info = IndexInfo(
            meta["snapshot_id"], int(meta["taxpayers"]), int(meta["source_rows"]),
            int(meta["rejected_rows"]), meta["normalizer_version"], meta["index_version"],
        )  # fmt: skip

    def close(self) -> None:
        """Release the DuckDB connection."""
        self._connection.close()

    def candidates(self, street_keys: Sequence[str]) -> dict[str, list[Candidate]]:
        """Every taxpayer whose address of record is on one of these street keys."""
        if not street_keys:
            return {}
        keys = pa.table({"street_key": list(set(street_keys))})
        cursor = self._connection.cursor()
        cursor.register("wanted", keys)
        rows = cursor.execute(
            "SELECT t.id, t.tin, t.given, t.given_tokens, t.middle, t.surname, t.surname_tokens, t.suffix, "
            "t.dob, t.dp_key, t.street_key, t.name_key FROM taxpayer t JOIN wanted w USING (street_key)"
        ).fetchall()
        cursor.close()
        found: dict[str, list[Candidate]] = {}
        for row in rows:
            found.setdefault(row[10], []).append(_candidate(row))
        return found

    def candidates_at(self, street_key: str) -> list[Candidate]:
        """Candidates for one request (the single-lookup path, using the street index)."""
        cursor = self._connection.cursor()
        rows = cursor.execute(
            "SELECT id, tin, given, given_tokens, middle, surname, surname_tokens, suffix, dob, dp_key, "
            "street_key, name_key FROM taxpayer WHERE street_key = ?",
            [street_key],
        ).fetchall()
        cursor.close()
        return [_candidate(row) for row in rows]

    def tins(self, taxpayer_ids: Sequence[int]) -> dict[int, str]:
        """The TIN of each internal taxpayer id (for the TIN check and the (i)(6) screen)."""
        if not taxpayer_ids:
            return {}
        cursor = self._connection.cursor()
        cursor.register("wanted_ids", pa.table({"id": pa.array(sorted(set(taxpayer_ids)), pa.int32())}))
        rows = cursor.execute("SELECT t.id, t.tin FROM taxpayer t JOIN wanted_ids w USING (id)").fetchall()
        cursor.close()
        return {int(tid): str(tin) for tid, tin in rows}

    def frequencies(self, names: Sequence[StandardName]) -> Iterator[tuple[int, int, int]]:
        """For each name: (surname count, given-name count, same-name count) in the master."""
        surnames = {t for n in names for t in n.surname_tokens}
        givens = {n.given_tokens[0] for n in names if n.given_tokens}
        keys = {name_key(n) for n in names}
        cursor = self._connection.cursor()
        if len(names) <= SMALL_LOOKUP:
            surname_n, given_n, name_n = self._point_lookup(cursor, surnames, givens, keys)
        else:
            surname_n = self._lookup(cursor, "surname_freq", "token", surnames)
            given_n = self._lookup(cursor, "given_freq", "token", givens)
            name_n = self._lookup(cursor, "name_freq", "name_key", keys)
        cursor.close()
        for name in names:
            surname_count = max((surname_n.get(t, 0) for t in name.surname_tokens), default=0)
            given_count = given_n.get(name.given_tokens[0], 0) if name.given_tokens else 0
            yield surname_count, given_count, name_n.get(name_key(name), 0)

    @staticmethod
    def _point_lookup(
        cursor: duckdb.DuckDBPyConnection, surnames: set[str], givens: set[str], keys: set[str]
    ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """All three frequency look-ups of a few names in one indexed query (the API path)."""
        parts, parameters = [], []
        for kind, table, column, values in (
            ("s", "surname_freq", "token", surnames),
            ("g", "given_freq", "token", givens),
            ("n", "name_freq", "name_key", keys),
        ):
            for value in sorted(values):
                # One equality per value: DuckDB answers "=" from the index, an IN list by a scan.
                parts.append(f"SELECT '{kind}', {column}, n FROM {table} WHERE {column} = ?")
                parameters.append(value)
        found: dict[str, dict[str, int]] = {"s": {}, "g": {}, "n": {}}
        if parts:
            for kind, key, count in cursor.execute(" UNION ALL ".join(parts), parameters).fetchall():
                found[kind][key] = int(count)
        return found["s"], found["g"], found["n"]

    @staticmethod
    def _lookup(
        cursor: duckdb.DuckDBPyConnection, table: str, column: str, values: set[str]
    ) -> dict[str, int]:
        if not values:
            return {}
        cursor.register("wanted_values", pa.table({"v": sorted(values)}))
        rows = cursor.execute(
            f"SELECT {column}, n FROM {table} JOIN wanted_values ON {column} = v"
        ).fetchall()
        cursor.unregister("wanted_values")
        return {key: int(count) for key, count in rows}


_SUFFIXES = {suffix.value: suffix for suffix in Suffix}


def _candidate(row: tuple[Any, ...]) -> Candidate:
    """A taxpayer row as the engine compares it.

    Tokens are stored space-joined: list columns make DuckDB point lookups 40 times slower.
    """
    tid, tin, given, given_tokens, middle, surname, surname_tokens, suffix, dob, dp_key, street, key = row
    name = StandardName(
        given=given or "",
        given_tokens=tuple(given_tokens.split()) if given_tokens else (),
        middle=middle or "",
        surname=surname or "",
        surname_tokens=tuple(surname_tokens.split()) if surname_tokens else (),
        suffix=_SUFFIXES[suffix] if suffix else None,
    )
    return Candidate(tid, tin, name, dob or None, dp_key, street, key)
