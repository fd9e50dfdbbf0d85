"""Streaming table writers for the interchange formats (CSV or Parquet).

The master file can have tens of millions of rows, so rows are written as
they are generated, in batches: CSV through the standard library (RFC 4180,
CRLF line ends, UTF-8), Parquet through a pyarrow ``ParquetWriter`` one row
group per batch. Column names and order are those of interchange §1 and §2;
the truth file is the generator's own.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

# pyarrow ships no type information; "unused-ignore" keeps this valid if stubs or an override appear.
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

Format = Literal["csv", "parquet"]
Row = tuple[Any, ...]

MASTER_COLUMNS: tuple[str, ...] = (
    "tin", "given_name", "middle_name", "surname", "name_suffix", "dob",
    "address_line1", "address_line2", "city", "state", "zip", "tax_year",
)  # fmt: skip
REQUEST_COLUMNS: tuple[str, ...] = (
    "record_id", "given_name", "middle_name", "surname", "name_suffix", "dob",
    "address_line1", "address_line2", "city", "state", "zip", "tin", "a_number",
    "removal_order_date", "removal_order_case_number", "investigation_id", "statute", "reason",
    "taxable_periods", "recipients",
)  # fmt: skip
TRUTH_COLUMNS: tuple[str, ...] = ("record_id", "category", "expected_code", "true_tin", "note")
INTEGER_COLUMNS = frozenset({"tax_year"})

BATCH_ROWS = 65536


class TableWriter:
    """Writes rows of a fixed set of columns to ``path`` in CSV or Parquet."""

    def __init__(self, path: Path, columns: Sequence[str], fmt: Format):
        self.path = path
        self.columns = tuple(columns)
        self.fmt = fmt
        self.rows_written = 0
        self._pending: list[Row] = []
        self._file: IO[str] | None = None
        self._csv: Any = None
        self._parquet: pq.ParquetWriter | None = None
        self._schema = pa.schema(
            [pa.field(c, pa.int64() if c in INTEGER_COLUMNS else pa.string()) for c in self.columns]
        )
        if fmt == "csv":
            self._file = path.open("w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._file, lineterminator="\r\n")
            self._csv.writerow(self.columns)
        else:
            self._parquet = pq.ParquetWriter(path, self._schema, compression="zstd")

    def write(self, rows: list[Row]) -> None:
        """Append rows (tuples in column order)."""
        self.rows_written += len(rows)
        if self._csv is not None:
            self._csv.writerows(rows)
            return
        self._pending += rows
        if len(self._pending) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending or self._parquet is None:
            return
        columns = list(zip(*self._pending, strict=True))
        arrays = [
            pa.array(values, pa.int64())
            if name in INTEGER_COLUMNS
            else pa.array([v or None for v in values], pa.string())
            for name, values in zip(self.columns, columns, strict=True)
        ]
        self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self._pending = []

    def close(self) -> None:
        """Flush and close the file."""
        if self._parquet is not None:
            self._flush()
            if not self.rows_written:
                self._parquet.write_table(self._schema.empty_table())
            self._parquet.close()
            self._parquet = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
