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

    def test_a_rebuild_replaces_the_index_whole_or_not_at_all(
        self, master_csv: Path, tmp_path: Path, master_data: Rows
    ) -> None:
        """A failed refresh keeps the current index and leaves no scratch file; a good one swaps it.

        A server that has the old index open keeps answering from it until it reopens.
        """
        header, rows = master_data
        target = tmp_path / "live.duckdb"
        first = build_index(master_csv, target, memory_limit="1GB", threads=1)
        broken = write_csv(tmp_path / "broken.csv", [h for h in header if h != "zip"],
                           [r[:10] + r[11:] for r in rows[:3]])  # fmt: skip
        with pytest.raises(InputFileError, match="required column zip missing"):
            build_index(broken, target, memory_limit="1GB", threads=1)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("live")) == ["live.duckdb"]
        serving = MasterIndex(target)
        assert serving.info.snapshot_id == first.snapshot_id
        changed = write_csv(tmp_path / "changed.csv", header, [*rows[:-1], [*rows[-1][:-1], "2023"]])
        second = build_index(changed, target, memory_limit="1GB", threads=1)
        assert second.snapshot_id != first.snapshot_id
        assert serving.info.snapshot_id == first.snapshot_id and serving.tins([1])  # the old file, still open
        serving.close()
        assert MasterIndex(target).info.snapshot_id == second.snapshot_id

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


# Names whose suffix or initial sits in another field, particles, accents, blanks: the index
# standardizes given names, surnames and suffix fields apart and combines them in SQL.
TRICKY_NAMES = [
    ("John Jr", "", "Smith", ""), ("John", "A", "Smith III", ""), ("John A", "", "Smith", "Sr"),
    ("JOHN JR A", "", "Smith", ""), ("María José", "", "de la Cruz-Núñez", ""), ("", "", "O'Brien", ""),
    ("Ana", "", "", ""), ("Juan Carlos", "", "Garcia y Marquez", "II"), ("Lee", "Van", "Van Der Berg", ""),
    ("Bob", "Jr", "Jones", "IV"), ("Ed", "", "Mc Donald", "jr."), ("Ñandú", "b", "V", "V"),
]  # fmt: skip


@pytest.mark.parametrize("workers", [1, 2])
def test_index_stores_what_the_standardizer_gives(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stored name and address equals standardize_name / standardize_address of its row,
    in one process and in worker processes with many pages."""
    from custos.matching import index as index_module
    from custos.matching.index import name_key
    from custos.standardize.addresses import standardize_address
    from custos.standardize.names import standardize_name

    monkeypatch.setattr(index_module, "BATCH_ROWS", 3)  # many small pages
    header = ["tin", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1",
              "address_line2", "city", "state", "zip", "tax_year"]  # fmt: skip
    addresses = [("12 n main street", "apt 4b", "Springfield", "IL", "62701-1234"),
                 ("PO Box 77", "", "Austin", "tx", "78701"), ("RR 2 Box 45", "", "Kearney", "NE", "68847"),
                 ("One Microsoft Way", "", "Redmond", "WA", "98052"), ("", "", "", "", "")]  # fmt: skip
    rows = [[f"{300000000 + i:09d}", *name, "1970-01-01", *addresses[i % len(addresses)], "2024"]
            for i, name in enumerate(TRICKY_NAMES)]  # fmt: skip
    target = tmp_path / "tricky.duckdb"
    build_index(write_csv(tmp_path / "tricky.csv", header, rows), target, memory_limit="1GB", threads=1,
                workers=workers)  # fmt: skip
    connection = duckdb.connect(str(target), read_only=True)
    stored = {row[0]: row[1:] for row in connection.execute(
        "SELECT tin, given, given_tokens, middle, surname, surname_tokens, suffix, name_key, dp_key, street_key "
        "FROM taxpayer").fetchall()}  # fmt: skip
    connection.close()
    assert len(stored) == len(rows)
    for row in rows:
        name = standardize_name(row[1] or None, row[2] or None, row[3] or None, row[4] or None)
        address = standardize_address(*(value or None for value in row[6:11]))
        expected = (name.given, " ".join(name.given_tokens), name.middle, name.surname,
                    " ".join(name.surname_tokens), name.suffix.value if name.suffix else None, name_key(name),
                    address.delivery_point_key, address.street_key)  # fmt: skip
        assert stored[row[0]] == expected, row
