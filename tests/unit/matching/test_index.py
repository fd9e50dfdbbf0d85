"""Building the master index: address of record, rejected rows, snapshot ids, column checks."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from custos.matching.index import MasterIndex, build_index
from custos.matching.tabular import InputFileError

Rows = tuple[list[str], list[list[str]]]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


class TestBuild:
    def test_address_of_record_is_the_latest_tax_year_last_row_on_ties(self, index_path: Path) -> None:
        """One taxpayer row per TIN, at the latest tax year's address; ties go to the last row."""
        connection = duckdb.connect(str(index_path), read_only=True)
        rows = dict(connection.execute("SELECT tin, street_key FROM taxpayer").fetchall())
        connection.close()
        assert "ELM" in rows["100000001"] and "OLD" not in rows["100000001"]
        assert "|2ND|" in rows["100000010"]
        assert len(rows) == 50

    def test_bad_rows_are_counted_not_indexed(self, index_path: Path, master_data: Rows) -> None:
        """Rows with a malformed TIN or tax year are rejected and counted."""
        index = MasterIndex(index_path)
        assert index.info.rejected_rows == 2
        assert index.info.source_rows == len(master_data[1])
        index.close()

    def test_snapshot_id_follows_the_content(
        self, master_csv: Path, index_path: Path, tmp_path: Path, master_data: Rows
    ) -> None:
        """The same bytes give the same snapshot id; one changed byte gives another."""
        header, rows = master_data
        again = tmp_path / "again.duckdb"
        build_index(master_csv, again, memory_limit="1GB", threads=1)
        changed = write_csv(tmp_path / "changed.csv", header, [*rows[:-1], [*rows[-1][:-1], "2023"]])
        other = tmp_path / "other.duckdb"
        build_index(changed, other, memory_limit="1GB", threads=1)
        ids = [MasterIndex(p).info.snapshot_id for p in (index_path, again, other)]
        assert ids[0] == ids[1] != ids[2]

    def test_missing_required_column_stops_before_work(self, tmp_path: Path, master_data: Rows) -> None:
        """A master without a 'zip' column is refused, naming the column and the file."""
        header, rows = master_data
        path = write_csv(tmp_path / "nozip.csv", [h for h in header if h != "zip"],
                         [r[:10] + r[11:] for r in rows[:3]])  # fmt: skip
        with pytest.raises(InputFileError, match=r"nozip\.csv: required column zip missing"):
            build_index(path, tmp_path / "x.duckdb")
        assert not (tmp_path / "x.duckdb").exists()

    def test_parquet_extract_gives_the_same_index(
        self, master_csv: Path, index_path: Path, tmp_path: Path
    ) -> None:
        """A Parquet extract with the same columns indexes the same taxpayers."""
        parquet = tmp_path / "master.parquet"
        connection = duckdb.connect()
        connection.execute(
            f"COPY (SELECT * FROM read_csv('{master_csv}', all_varchar=true)) TO '{parquet}' (FORMAT parquet)"
        )
        connection.close()
        target = tmp_path / "p.duckdb"
        build_index(parquet, target, memory_limit="1GB", threads=1)
        assert MasterIndex(target).info.taxpayers == MasterIndex(index_path).info.taxpayers
