"""A small master extract with the hard cases, built into an index once per test module."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

HEADER = ["tin", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1",
          "address_line2", "city", "state", "zip", "tax_year"]  # fmt: skip

# fmt: off
MASTER_ROWS = [
    # A person who moved: the 2024 row is the address of record.
    ["100000001", "Ana", "", "Zabriskie", "", "1980-02-03", "12 Old Rd", "", "Springfield", "IL", "62701", "2022"],
    ["100000001", "Ana", "", "Zabriskie", "", "1980-02-03", "45 Elm St", "Apt 2", "Springfield", "IL", "62701", "2024"],
    # Jr and Sr of one name at one address.
    ["100000002", "John", "", "Quackenbush", "Sr", "1950-01-01", "7 Oak Ave", "", "Springfield", "IL", "62702", "2024"],
    ["100000003", "John", "", "Quackenbush", "Jr", "1980-06-01", "7 Oak Ave", "", "Springfield", "IL", "62702", "2024"],
    # Twins with similar given names.
    ["100000004", "Daniel", "", "Okonkwo", "", "2001-05-05", "9 Pine St", "", "Springfield", "IL", "62703", "2024"],
    ["100000005", "Danielle", "", "Okonkwo", "", "2001-05-05", "9 Pine St", "", "Springfield", "IL", "62703", "2024"],
    # A compound Hispanic surname, and a sibling at the same address.
    ["100000006", "Jose", "", "Garcia Marquez", "", "1975-07-08", "500 Calle del Sol", "", "San Juan", "PR", "00901", "2024"],
    ["100000007", "Maria", "", "Garcia Marquez", "", "1978-09-10", "500 Calle del Sol", "", "San Juan", "PR", "00901", "2024"],
    # Apartment building: same street address, different units.
    ["100000008", "Wei", "", "Thistlewood", "", "1990-01-01", "100 Main St", "Apt 4", "Springfield", "IL", "62701", "2024"],
    ["100000009", "Lars", "", "Thistlewood", "", "1960-01-01", "100 Main St", "Apt 5", "Springfield", "IL", "62701", "2024"],
    # A common name; tie on tax year: the last row wins.
    ["100000010", "James", "", "Smith", "", "1970-03-03", "1 First St", "", "Springfield", "IL", "62704", "2024"],
    ["100000010", "James", "", "Smith", "", "1970-03-03", "2 Second St", "", "Springfield", "IL", "62704", "2024"],
    # Bad rows: rejected, counted.
    ["12345", "Bad", "", "Tin", "", "", "1 X St", "", "Springfield", "IL", "62701", "2024"],
    ["100000011", "Bad", "", "Year", "", "", "1 X St", "", "Springfield", "IL", "62701", "twenty"],
]
# fmt: on
# Many Smiths, so that SMITH is a common surname in this master.
MASTER_ROWS += [
    [
        f"2000{i:05d}",
        f"Given{i}",
        "",
        "Smith",
        "",
        "1960-01-01",
        f"{i} Maple St",
        "",
        "Springfield",
        "IL",
        "62705",
        "2024",
    ]
    for i in range(40)
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def master_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("master") / "master.csv", HEADER, MASTER_ROWS)


@pytest.fixture(scope="module")
def index_path(master_csv: Path) -> Path:
    from custos.matching.index import build_index

    target = master_csv.parent / "master.duckdb"
    build_index(master_csv, target, memory_limit="1GB", threads=1)
    return target


@pytest.fixture
def master_data() -> tuple[list[str], list[list[str]]]:
    """The header and rows of the small master extract."""
    return HEADER, MASTER_ROWS
