"""Reading the fixed interchange files (CSV or Parquet) into DuckDB, with column checks.

A missing required column stops the command before any work, naming the
column and the file; unknown extra columns are ignored with one warning
(interchange.md section 1).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb

from custos.errors import Error

logger = logging.getLogger(__name__)

MASTER_REQUIRED = ("tin", "given_name", "surname", "address_line1", "city", "state", "zip", "tax_year")
MASTER_COLUMNS = (
    "tin", "given_name", "middle_name", "surname", "name_suffix", "dob",
    "address_line1", "address_line2", "city", "state", "zip", "tax_year",
)  # fmt: skip
REQUEST_REQUIRED = ("record_id", "given_name", "surname", "address_line1", "city", "state", "zip")
REQUEST_IDENTITY = (
    "record_id", "given_name", "middle_name", "surname", "name_suffix", "dob",
    "address_line1", "address_line2", "city", "state", "zip",
)  # fmt: skip


class InputFileError(Error):
    """An input file cannot be used as it is."""


def scan_sql(path: Path) -> str:
    """A DuckDB table expression reading ``path`` as text columns."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    literal = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{literal}')"
    return (
        f"read_csv('{literal}', header = true, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"', strict_mode = false, null_padding = true)"
    )


def check_columns(
    connection: duckdb.DuckDBPyConnection, path: Path, required: Sequence[str], known: Sequence[str]
) -> list[str]:
    """Return the file's columns after checking the required ones are present."""
    try:
        result = connection.execute(f"SELECT * FROM {scan_sql(path)} LIMIT 0")
        description = result.description
        result.fetchall()
    except duckdb.Error as exc:
        raise InputFileError(f"{path}: cannot be read as {path.suffix or 'CSV'}: {exc}") from exc
    columns = [str(column[0]).strip().lower() for column in description or []]
    missing = [name for name in required if name not in columns]
    if missing:
        raise InputFileError(
            f"{path}: required column {', '.join(missing)} missing "
            f"(found: {', '.join(columns) or 'no header'})"
        )
    extra = [name for name in columns if name not in known]
    if extra:
        logger.warning("%s: ignoring unknown columns %s", path, ", ".join(extra))
    return columns


def select_columns(columns: Sequence[str], wanted: Sequence[str]) -> str:
    """A SELECT list giving every wanted column, NULL for absent optional ones."""
    return ", ".join(
        f'CAST("{name}" AS VARCHAR) AS {name}' if name in columns else f"CAST(NULL AS VARCHAR) AS {name}"
        for name in wanted
    )
