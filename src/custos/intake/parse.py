"""Reading a request batch (CSV, Parquet or JSON Lines) from another agency as hostile input.

A file unusable as a whole (not UTF-8, no header, a required column missing) raises
:class:`BatchFileError`; a defective record only carries :class:`RowDefect` entries, so the
pipeline can reject it and go on with the others.  Rows are streamed: memory is bounded by
the longest line, never by the file.  Values stay text; numbers and dates are refused, not
converted, since a ZIP code would lose its leading zero.  The bytes are hashed as they are
parsed and checked against :attr:`BatchFile.digest` at the end, so rows cannot come from a
file replaced after its signed digest was checked.  Messages never quote a value.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from custos.errors import IntakeError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_FIELD_CHARS = 4096
MAX_LINE_CHARS = 16 * 1024 * 1024  # a longer line or CSV field refuses the file: memory stays bounded

FORMATS = ("csv", "parquet", "jsonl")
MALFORMED_ROW = "MALFORMED_ROW"
FIELD_TOO_LONG = "FIELD_TOO_LONG"
UNDECLARED_FIELD = "UNDECLARED_FIELD"
BAD_VALUE_TYPE = "BAD_VALUE_TYPE"
BAD_CHARACTERS = "BAD_CHARACTERS"

_JSONL_SCAN_LINES = 1000
_PARQUET_BATCH_ROWS = 1024
_CHUNK_BYTES = 1 << 20
# C0 controls other than TAB, LF and CR, plus lone surrogates (JSON "\ud800" escapes), which
# cannot be encoded back to UTF-8 and would fail far from here.
_BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# UTF-32 first: its little-endian mark starts with UTF-16's.
_WIDE_BOMS = {
    "UTF-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE),
    "UTF-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
}
_ARROW_ERRORS = (pa.ArrowException, OSError, ValueError, OverflowError)


class BatchFileError(IntakeError):
    """The batch file as a whole is unusable; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class RowDefect:
    """Why one record (or one field of it) cannot be used as submitted."""

    field: str | None
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One data record: every declared column as text, plus the defects found in it."""

    number: int
    fields: dict[str, str]
    defects: tuple[RowDefect, ...]


@dataclass(frozen=True, slots=True)
class BatchFile:
    """A batch file whose encoding and header have been checked, with the digest of its bytes."""

    path: Path
    format: str
    columns: tuple[str, ...]
    digest: str
    size: int


def open_batch(path: Path, *, required: Sequence[str], file_format: str | None = None) -> BatchFile:
    """Check the file as a whole (format, encoding, header, required columns) before any record."""
    fmt = (file_format or path.suffix.removeprefix(".")).lower()
    if fmt not in FORMATS:
        raise BatchFileError(f"{path}: unknown format {_label(fmt)}; name a .csv, .parquet or .jsonl file")
    if not path.is_file():
        raise BatchFileError(f"{path}: no such file")
    digest, size = _digest(path, check_text=fmt != "parquet")
    if size == 0:
        raise BatchFileError(f"{path}: the file is empty")
    columns = _parquet_columns(path) if fmt == "parquet" else _text_columns(path, fmt)
    missing = [name for name in dict.fromkeys(_name(n) for n in required) if name not in columns]
    if missing:
        found = ", ".join(_label(name) for name in columns[:40]) + (" ..." if len(columns) > 40 else "")
        raise BatchFileError(
            f"{path}: required column {', '.join(missing)} missing (found: {found or 'none'})"
        )
    return BatchFile(path=path, format=fmt, columns=columns, digest=digest, size=size)


def iter_rows(batch: BatchFile, *, declared: Sequence[str]) -> Iterator[RequestRow]:
    """Yield each data record in file order; raises BatchFileError if the file changed since opened.

    Blank lines (CSV and JSON Lines) are skipped and not numbered.  The digest check runs when
    the iterator is exhausted, so a consumer must read to the end before trusting the batch.
    """
    empty = dict.fromkeys((_name(n) for n in declared), "")
    if batch.format == "parquet":
        yield from _parquet_rows(batch, empty)
        if _digest(batch.path, check_text=False)[0] != batch.digest:
            raise _changed(batch.path)
        return
    with _text_lines(batch.path, batch.format) as (lines, hashing):
        yield from (_csv_rows if batch.format == "csv" else _jsonl_rows)(batch, lines, empty)
        if f"sha256:{hashing.sha256.hexdigest()}" != batch.digest:
            raise _changed(batch.path)


def count_rows(batch: BatchFile) -> int:
    """The number of data records iter_rows would yield, counted without building them."""
    if batch.format == "parquet":
        try:
            with pq.ParquetFile(batch.path) as parquet:
                return int(parquet.metadata.num_rows)
        except _ARROW_ERRORS as exc:
            raise BatchFileError(f"{batch.path}: cannot be read as Parquet: {exc}") from exc
    with _text_lines(batch.path, batch.format) as (lines, _):
        if batch.format == "jsonl":
            return sum(1 for line in lines if not _blank(line))
        return sum(1 for _, record in islice(_csv_records(batch.path, lines), 1, None) if record)


class _HashingReader(io.RawIOBase):
    """Hashes bytes as they are read, so the parsed rows are tied to the digest that was signed."""

    def __init__(self, raw: io.FileIO) -> None:
        super().__init__()
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        count = self._raw.readinto(view) or 0
        self.sha256.update(view[:count])
        return count


def _digest(path: Path, *, check_text: bool) -> tuple[str, int]:
    """SHA-256 and size of the file; with check_text, also refuse wide BOMs and invalid UTF-8."""
    sha, size, newlines, carry = hashlib.sha256(), 0, 0, b""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                wide = [name for name, boms in _WIDE_BOMS.items() if chunk.startswith(boms)]
                if check_text and not size and wide:
                    raise BatchFileError(
                        f"{path}: the file is {wide[0]} (byte-order mark); convert it to UTF-8"
                    )
                sha.update(chunk)
                size += len(chunk)
                if check_text:
                    data = carry + chunk
                    try:
                        _, used = codecs.utf_8_decode(data, "strict", False)
                    except UnicodeDecodeError as exc:
                        raise _not_utf8(path, newlines + data.count(b"\n", 0, exc.start) + 1) from exc
                    carry = data[used:]
                    newlines += data.count(b"\n", 0, used)
    except OSError as exc:
        raise BatchFileError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if carry:
        raise _not_utf8(path, newlines + 1)
    return f"sha256:{sha.hexdigest()}", size


def _not_utf8(path: Path, line: int) -> BatchFileError:
    return BatchFileError(f"{path}: line {line} is not valid UTF-8; convert the file to UTF-8")


def _changed(path: Path) -> BatchFileError:
    return BatchFileError(f"{path}: the file changed after it was opened; its digest no longer matches")


@contextmanager
def _text_lines(path: Path, fmt: str) -> Iterator[tuple[Iterator[str], _HashingReader]]:
    """Physical lines of a text batch (UTF-8 BOM dropped), each at most MAX_LINE_CHARS long."""
    try:
        raw = io.FileIO(path, "r")
    except OSError as exc:
        raise BatchFileError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    hashing = _HashingReader(raw)
    # CSV needs newline="" to keep CR/LF inside quoted fields; a JSON line ends only at LF.
    newline = "" if fmt == "csv" else "\n"
    with (
        raw,
        io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding="utf-8-sig", newline=newline) as text,
    ):
        try:
            yield _capped(path, text), hashing
        except UnicodeDecodeError as exc:
            raise BatchFileError(f"{path}: is no longer valid UTF-8; it changed after it was opened") from exc


def _capped(path: Path, text: io.TextIOWrapper) -> Iterator[str]:
    number = 0
    while line := text.readline(MAX_LINE_CHARS):
        number += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            raise BatchFileError(f"{path}: line {number} is longer than {MAX_LINE_CHARS} characters")
        yield line


def _text_columns(path: Path, fmt: str) -> tuple[str, ...]:
    with _text_lines(path, fmt) as (lines, _):
        if fmt == "jsonl":  # no header: the keys of the first objects stand in for one
            objects = (_json_object(line) for line in lines if not _blank(line))
            pairs = (pair for found in islice(objects, _JSONL_SCAN_LINES) for pair in found or ())
            keys = (_name(key) for key, _ in pairs)
            return tuple(dict.fromkeys(key for key in keys if key == _label(key)))  # no garbled names
        return _checked_header(path, next(_csv_records(path, lines), (0, []))[1])


def _parquet_columns(path: Path) -> tuple[str, ...]:
    try:
        with pq.ParquetFile(path) as parquet:
            names = [str(name) for name in parquet.schema_arrow.names]
    except _ARROW_ERRORS as exc:
        raise BatchFileError(f"{path}: cannot be read as Parquet: {exc}") from exc
    return _checked_header(path, names)


def _checked_header(path: Path, header: Sequence[str]) -> tuple[str, ...]:
    """Normalized column names; a nameless, garbled or repeated name makes the columns ambiguous."""
    if not header:
        raise BatchFileError(f"{path}: no header; the first row must name the columns")
    columns = tuple(_name(name) for name in header)
    seen: set[str] = set()
    for position, name in enumerate(columns, start=1):
        if not name:
            raise BatchFileError(f"{path}: header column {position} has no name")
        if _BAD_CHARACTERS.search(name):
            raise BatchFileError(
                f"{path}: header column {position} contains control characters "
                "(UTF-16 without a byte-order mark?); convert it to UTF-8"
            )
        if name in seen:
            raise BatchFileError(f"{path}: column {_label(name)} appears more than once in the header")
        seen.add(name)
    return columns


def _csv_rows(batch: BatchFile, lines: Iterator[str], empty: dict[str, str]) -> Iterator[RequestRow]:
    records = _csv_records(batch.path, lines)
    if tuple(_name(name) for name in next(records, (0, []))[1]) != batch.columns:
        raise _changed(batch.path)
    number, width = 0, len(batch.columns)
    for line, record in records:
        if not record:
            continue
        number += 1
        if len(record) == width:
            yield _row(number, zip(batch.columns, record, strict=True), empty)
        else:
            detail = f"record ending on line {line} has {len(record)} fields; the header has {width}"
            yield _malformed(number, empty, detail)


def _csv_records(path: Path, lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    """RFC 4180 records (blank lines give []) with the line each ends on, the header first."""
    if csv.field_size_limit() < MAX_LINE_CHARS:  # so that a huge field is our FIELD_TOO_LONG
        csv.field_size_limit(MAX_LINE_CHARS)  # process-wide, but only ever raised
    reader = csv.reader(lines, strict=False)
    try:
        for record in reader:
            yield reader.line_num, record
    except csv.Error as exc:
        raise BatchFileError(f"{path}: line {reader.line_num}: cannot be parsed as CSV ({exc})") from exc


def _jsonl_rows(batch: BatchFile, lines: Iterator[str], empty: dict[str, str]) -> Iterator[RequestRow]:
    number = 0
    for line_number, line in enumerate(lines, start=1):
        if _blank(line):
            continue
        number += 1
        pairs = _json_object(line)
        names = [_name(key) for key, _ in pairs or ()]
        if pairs is None or len(set(names)) < len(names):
            problem = "is not one JSON object" if pairs is None else "repeats a key (ignoring case)"
            yield _malformed(number, empty, f"line {line_number} {problem}")
        else:
            yield _row(number, zip(names, (value for _, value in pairs), strict=True), empty)


class _Pairs(list[tuple[str, object]]):
    """A JSON object's members in order, kept as pairs so that a repeated key can be seen."""


_TYPE_NAMES = {bool: "a boolean", int: "a number", float: "a number", list: "a list", _Pairs: "an object",
               dict: "an object"}  # fmt: skip


def _json_object(line: str) -> _Pairs | None:
    try:
        parsed: object = json.loads(line, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):  # bad JSON, too-long integers, deep nesting
        return None
    return parsed if isinstance(parsed, _Pairs) else None


def _parquet_rows(batch: BatchFile, empty: dict[str, str]) -> Iterator[RequestRow]:
    number = 0
    try:
        with pq.ParquetFile(batch.path) as parquet:
            for chunk in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
                columns: list[list[object]] = [column.to_pylist() for column in chunk.columns]
                for values in zip(*columns, strict=True):
                    number += 1
                    yield _row(number, zip(batch.columns, values, strict=True), empty)
    except _ARROW_ERRORS as exc:  # a decoding error would show the bytes: give only its reason
        problem = f"a text value is not UTF-8 ({exc.reason})" if isinstance(exc, UnicodeDecodeError) else exc
        raise BatchFileError(
            f"{batch.path}: cannot be read as Parquet after row {number}: {problem}"
        ) from exc


def _malformed(number: int, empty: dict[str, str], detail: str) -> RequestRow:
    return RequestRow(number, empty.copy(), (RowDefect(None, MALFORMED_ROW, detail),))


def _row(number: int, items: Iterable[tuple[str, object]], empty: dict[str, str]) -> RequestRow:
    """Keep each usable declared value; every other non-empty value becomes a defect and is dropped."""
    fields = empty.copy()  # copying a template allocates least, which matters a million times over
    defects: tuple[RowDefect, ...] = ()  # rare, and an empty tuple costs no allocation
    for name, value in items:
        if type(value) is str and name in fields and len(value) <= MAX_FIELD_CHARS:
            if not _BAD_CHARACTERS.search(value):  # the common case first: no label is built
                fields[name] = value
                continue
        elif value is None or value == "":
            continue
        defects += (_defect(name, value, declared=name in fields),)
    return RequestRow(number, fields, defects)


def _defect(name: str, value: object, *, declared: bool) -> RowDefect:
    label = _label(name)  # also the field: a JSON key may hold NUL, a lone surrogate or megabytes
    if not declared:
        return RowDefect(label, UNDECLARED_FIELD, f"column {label} is not declared; value dropped")
    if not isinstance(value, str):
        kind = _TYPE_NAMES.get(type(value), type(value).__name__)
        return RowDefect(label, BAD_VALUE_TYPE, f"field {label} must be text or null, not {kind}")
    if len(value) > MAX_FIELD_CHARS:
        return RowDefect(label, FIELD_TOO_LONG, f"field {label} is longer than {MAX_FIELD_CHARS} characters")
    return RowDefect(label, BAD_CHARACTERS, f"field {label} contains control characters or lone surrogates")


def _name(column: str) -> str:
    return column.strip().lower()


def _blank(line: str) -> bool:
    return not line.strip()


def _label(name: str) -> str:
    """A column name fit for a message: quoted and cut short when it is odd or long."""
    if name.isprintable() and len(name) <= 64:
        return name
    return repr(name[:64]) + ("..." if len(name) > 64 else "")
