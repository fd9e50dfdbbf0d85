"""custos master load and custos match, as interchange.md section 4 defines them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from custos.cli import main

MASTER = [
    ["tin", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1", "address_line2",
     "city", "state", "zip", "tax_year"],
    ["100000001", "Ana", "", "Zabriskie", "", "1980-02-03", "45 Elm St", "Apt 2", "Springfield", "IL", "62701",
     "2024"],
    ["100000002", "Lars", "", "Thistlewood", "", "1960-01-01", "100 Main St", "", "Springfield", "IL", "62701",
     "2024"],
]  # fmt: skip
REQUESTS = [
    ["record_id", "given_name", "surname", "dob", "address_line1", "address_line2", "city", "state", "zip",
     "investigation_id", "statute"],
    ["r1", "Ana", "Zabriskie", "1980-02-03", "45 Elm Street", "#2", "Springfield", "IL", "62701", "INV-1", "x"],
    ["r2", "Ana", "Zabriskie", "1980-02-03", "45 Elm Street", "", "Springfield", "IL", "62701", "INV-1", "x"],
    ["r3", "Ana", "Zabriskie", "1980-31-31", "45 Elm Street", "#2", "Springfield", "IL", "62701", "INV-1", "x"],
    ["r1", "Lars", "Thistlewood", "1960-01-01", "100 Main St", "", "Springfield", "IL", "62701", "INV-1", "x"],
    ["=cmd|' /C calc'!A0", "Lars", "Thistlewood", "1960-01-01", "100 Main St", "", "Springfield", "IL", "62701",
     "INV-1", "x"],
]  # fmt: skip


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class TestMatchCommand:
    def test_load_then_match(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Results have record_id, code, reason per request; bad rows get their own reason; exit 0."""
        master = write(tmp_path / "master.csv", MASTER)
        requests = write(tmp_path / "requests.csv", REQUESTS)
        index = tmp_path / "master.idx"
        assert main(["master", "load", str(master), "--into", str(index)]) == 0
        assert "Indexed 2 taxpayers" in capsys.readouterr().out
        out = tmp_path / "results.csv"
        code = main(["match", "--master", str(index), "--requests", str(requests), "--out", str(out)])
        summary = capsys.readouterr().out
        assert code == 0
        rows = read(out)
        assert list(rows[0]) == ["record_id", "code", "reason"]
        got = [(r["record_id"], r["code"], r["reason"]) for r in rows]
        assert got[:4] == [
            ("r1", "CONFIRMED", "MATCH"),
            ("r2", "NOT_CONFIRMED", "UNIT_MISMATCH"),
            ("r3", "NOT_CONFIRMED", "MALFORMED_RECORD"),
            ("r1", "NOT_CONFIRMED", "MALFORMED_RECORD"),
        ]
        assert got[4] == ("'=cmd|' /C calc'!A0", "CONFIRMED", "MATCH")
        assert "MALFORMED_RECORD" in summary and "total" in summary

    def test_extract_as_master_builds_a_temporary_index(self, tmp_path: Path) -> None:
        """--master accepts a CSV extract directly."""
        master = write(tmp_path / "master.csv", MASTER)
        requests = write(tmp_path / "requests.csv", REQUESTS[:2])
        out = tmp_path / "results.csv"
        assert main(["match", "--master", str(master), "--requests", str(requests), "--out", str(out)]) == 0
        assert read(out)[0]["code"] == "CONFIRMED"

    def test_missing_column_stops_before_any_work(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A request file without 'surname' is refused, naming the column and the file; no output."""
        master = write(tmp_path / "master.csv", MASTER)
        requests = write(tmp_path / "requests.csv", [[c for c in REQUESTS[0] if c != "surname"]])
        out = tmp_path / "results.csv"
        assert main(["match", "--master", str(master), "--requests", str(requests), "--out", str(out)]) == 1
        assert "requests.csv: required column surname missing" in capsys.readouterr().err
        assert not out.exists()
