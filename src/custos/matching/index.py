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
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from custos.errors import Error
from custos.matching.models import Candidate
from custos.matching.tabular import MASTER_COLUMNS, MASTER_REQUIRED, check_columns, scan_sql, select_columns
from custos.standardize.addresses import standardize_address
from custos.standardize.models import NORMALIZER_VERSION, StandardName, Suffix
from custos.standardize.names import standardize_name

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


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _connect(
    path: Path | str, memory_limit: str, threads: int, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path), read_only=read_only)
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute("SET preserve_insertion_order = true")
    return connection


_TEXT, _TEXTS = pa.string(), pa.list_(pa.string())
ADDRESS_SCHEMA = pa.schema(
    [(n, _TEXT) for n in ("a1", "a2", "ci", "st", "zi", "dp_key", "street_key", "zip5", "kind")]
    + [("problems", _TEXTS)]
)
NAME_SCHEMA = pa.schema(
    [(n, _TEXT) for n in ("gn", "mn", "sn", "sx", "given")]
    + [("given_tokens", _TEXT)]
    + [
        ("middle", _TEXT),
        ("surname", _TEXT),
        ("surname_tokens", _TEXT),
        ("suffix", _TEXT),
        ("name_key", _TEXT),
    ]
)


def _address_rows(rows: Iterable[tuple[str, ...]]) -> pa.Table:
    columns: dict[str, list[object]] = {
        name: []
        for name in ("a1", "a2", "ci", "st", "zi", "dp_key", "street_key", "zip5", "kind", "problems")
    }
    for a1, a2, ci, st, zi in rows:
        address = standardize_address(a1 or None, a2 or None, ci or None, st or None, zi or None)
        for name, value in zip(("a1", "a2", "ci", "st", "zi"), (a1, a2, ci, st, zi), strict=True):
            columns[name].append(value)
        columns["dp_key"].append(address.delivery_point_key)
        columns["street_key"].append(address.street_key)
        columns["zip5"].append(address.zip5)
        columns["kind"].append(address.kind.value)
        columns["problems"].append(list(address.problems))
    return pa.table(columns, schema=ADDRESS_SCHEMA)


def _name_rows(rows: Iterable[tuple[str, ...]]) -> pa.Table:
    names = ("gn", "mn", "sn", "sx", "given", "given_tokens", "middle", "surname", "surname_tokens",
             "suffix", "name_key")  # fmt: skip
    columns: dict[str, list[object]] = {name: [] for name in names}
    for gn, mn, sn, sx in rows:
        name = standardize_name(gn or None, mn or None, sn or None, sx or None)
        for key, value in zip(("gn", "mn", "sn", "sx"), (gn, mn, sn, sx), strict=True):
            columns[key].append(value)
        columns["given"].append(name.given)
        columns["given_tokens"].append(" ".join(name.given_tokens))
        columns["middle"].append(name.middle)
        columns["surname"].append(name.surname)
        columns["surname_tokens"].append(" ".join(name.surname_tokens))
        columns["suffix"].append(name.suffix.value if name.suffix else None)
        columns["name_key"].append(name_key(name))
    return pa.table(columns, schema=NAME_SCHEMA)


def name_key(name: StandardName) -> str:
    """Exact-name key for the common-name check: first given token and joined surname."""
    first = name.given_tokens[0] if name.given_tokens else ""
    return f"{first}|{name.surname_joined}"


def _standardize_distinct(
    connection: duckdb.DuckDBPyConnection,
    *,
    columns: str,
    table: str,
    convert: Callable[[Iterable[tuple[str, ...]]], pa.Table],
    progress: Progress | None,
    label: str,
    workers: int,
) -> None:
    """Standardize each distinct value combination once, a page at a time.

    Pages go to ``workers`` processes (standardization is pure Python and
    CPU-bound) with at most two pages per worker in flight, so memory stays
    bounded whatever the size of the master file.
    """
    connection.execute(
        f"CREATE TEMP TABLE distinct_{table} AS "
        f"SELECT row_number() OVER () AS rid, * FROM (SELECT DISTINCT {columns} FROM record)"
    )
    total = connection.execute(f"SELECT count(*) FROM distinct_{table}").fetchall()[0][0]
    connection.register("chunk", convert([]))
    connection.execute(f"CREATE TABLE {table} AS SELECT * FROM chunk")
    connection.unregister("chunk")

    def pages() -> Iterator[list[tuple[str, ...]]]:
        for start in range(1, total + 1, BATCH_ROWS):
            yield connection.execute(
                f"SELECT {columns} FROM distinct_{table} WHERE rid BETWEEN ? AND ?",
                [start, start + BATCH_ROWS - 1],
            ).fetchall()

    def store(chunk: pa.Table) -> None:
        connection.register("chunk", chunk)
        connection.execute(f"INSERT INTO {table} SELECT * FROM chunk")
        connection.unregister("chunk")
        if progress:
            progress(label, chunk.num_rows)

    if workers <= 1 or total <= BATCH_ROWS:
        for page in pages():
            store(convert(page))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending: deque[Future[pa.Table]] = deque()
            for page in pages():
                pending.append(pool.submit(convert, page))
                if len(pending) >= 2 * workers:
                    store(pending.popleft().result())
            while pending:
                store(pending.popleft().result())
    connection.execute(f"DROP TABLE distinct_{table}")


def build_index(
    source: Path,
    target: Path,
    *,
    memory_limit: str = "4GB",
    threads: int = 2,
    workers: int = 1,
    progress: Progress | None = None,
) -> IndexInfo:
    """Build the index at ``target`` from the extract at ``source`` (CSV or Parquet).

    ``workers`` processes standardize names and addresses.  They are started with
    "spawn" (forking a process that runs DuckDB threads is unsafe), so a script that
    asks for more than one must guard its entry point with ``if __name__ == "__main__"``.
    """
    scratch = target.with_name(target.name + ".building")
    scratch.unlink(missing_ok=True)
    connection = _connect(scratch, memory_limit, threads)
    try:
        columns = check_columns(connection, source, MASTER_REQUIRED, MASTER_COLUMNS)
        snapshot = (
            "sha256:"
            + hashlib.sha256(
                f"{_file_digest(source)}|{INDEX_VERSION}|{NORMALIZER_VERSION}".encode()
            ).hexdigest()
        )
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
        _standardize_distinct(connection, columns="a1, a2, ci, st, zi", table="addr", convert=_address_rows,
                              progress=progress, label="addresses", workers=workers)  # fmt: skip
        _standardize_distinct(connection, columns="gn, mn, sn, sx", table="person_name", convert=_name_rows,
                              progress=progress, label="names", workers=workers)  # fmt: skip
        connection.execute(
            """
            CREATE TABLE taxpayer AS
            SELECT CAST(row_number() OVER (ORDER BY a.street_key, r.tin) AS INTEGER) AS id, r.tin, r.dob,
                   n.given, n.given_tokens, n.middle, n.surname, n.surname_tokens, n.suffix, n.name_key,
                   a.dp_key, a.street_key, a.zip5, a.kind
            FROM record r
            JOIN addr a USING (a1, a2, ci, st, zi)
            JOIN person_name n USING (gn, mn, sn, sx)
            ORDER BY a.street_key, r.tin
            """
        )
        connection.execute("CREATE INDEX taxpayer_street ON taxpayer (street_key)")
        connection.execute(
            "CREATE TABLE surname_freq AS SELECT t AS token, count(*) AS n "
            "FROM (SELECT unnest(string_split(surname_tokens, ' ')) AS t FROM taxpayer "
            "WHERE surname_tokens <> '') GROUP BY t"
        )
        connection.execute(
            "CREATE TABLE given_freq AS SELECT split_part(given_tokens, ' ', 1) AS token, count(*) AS n "
            "FROM taxpayer WHERE given_tokens <> '' GROUP BY 1"
        )
        connection.execute(
            "CREATE TABLE name_freq AS SELECT name_key, count(*) AS n FROM taxpayer GROUP BY 1"
        )
        connection.execute("CREATE INDEX name_freq_key ON name_freq (name_key)")
        connection.execute("CREATE INDEX surname_freq_token ON surname_freq (token)")
        connection.execute("CREATE INDEX given_freq_token ON given_freq (token)")
        taxpayers = connection.execute("SELECT count(*) FROM taxpayer").fetchall()[0][0]
        info = IndexInfo(snapshot, taxpayers, source_rows, source_rows - valid_rows, NORMALIZER_VERSION,
                         INDEX_VERSION)  # fmt: skip
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
        connection.execute("DROP TABLE addr")
        connection.execute("DROP TABLE person_name")
        connection.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise MasterIndexError(f"building the index from {source} failed: {exc}") from exc
    finally:
        connection.close()
    if target.exists():
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    os.replace(scratch, target)
    return info


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
            "t.dob, t.dp_key, t.street_key FROM taxpayer t JOIN wanted w USING (street_key)"
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
            "street_key FROM taxpayer WHERE street_key = ?",
            [street_key],
        ).fetchall()
        cursor.close()
        return [_candidate(row) for row in rows]

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


def _texts(value: object) -> tuple[str, ...]:
    """Tokens are stored space-joined: list columns make DuckDB point lookups 40 times slower."""
    return tuple(str(value).split()) if value else ()


def _candidate(row: tuple[object, ...]) -> Candidate:
    (tid, tin, given, given_tokens, middle, surname, surname_tokens, suffix, dob, dp_key, street_key) = row
    name = StandardName(
        given=str(given or ""),
        given_tokens=_texts(given_tokens),
        middle=str(middle or ""),
        surname=str(surname or ""),
        surname_tokens=_texts(surname_tokens),
        suffix=Suffix(str(suffix)) if suffix else None,
    )
    return Candidate(int(str(tid)), str(tin), name, str(dob) if dob else None, str(dp_key), str(street_key))
