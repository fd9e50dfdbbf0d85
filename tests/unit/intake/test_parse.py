"""Request batch files read as hostile input: whole-file refusals, per-record defects, streaming."""

from __future__ import annotations

import codecs
import collections
import datetime
import hashlib
import json
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.errors import IntakeError
from custos.intake import parse
from custos.intake.parse import (
    MAX_FIELD_CHARS,
    BatchFile,
    BatchFileError,
    RequestRow,
    RowDefect,
    count_rows,
    iter_rows,
    open_batch,
)

DECLARED = ("record_id", "given_name", "surname", "zip")
CONFIDENTIAL = "078051120"  # stands for a confidential value that must never appear in a message


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def rows_of(path: Path, declared: Sequence[str] = DECLARED, required: Sequence[str] = ()) -> list[RequestRow]:
    return list(iter_rows(open_batch(path, required=required), declared=declared))


def codes(row: RequestRow) -> list[tuple[str | None, str]]:
    return [(defect.field, defect.code) for defect in row.defects]


def refusal(path: Path, required: Sequence[str] = (), file_format: str | None = None) -> str:
    with pytest.raises(BatchFileError) as caught:
        open_batch(path, required=required, file_format=file_format)
    message = str(caught.value)
    assert str(path) in message
    return message


class TestOpenBatch:
    def test_a_good_csv_gives_columns_digest_and_size(self, tmp_path: Path) -> None:
        """Columns are stripped and lower-cased; the digest is SHA-256 of the bytes as signed."""
        data = b" Record_ID ,ZIP\r\nr1,02134\r\n"
        batch = open_batch(write(tmp_path, "b.csv", data), required=["record_id", "Zip "])
        assert batch == BatchFile(
            path=tmp_path / "b.csv",
            format="csv",
            columns=("record_id", "zip"),
            digest="sha256:" + hashlib.sha256(data).hexdigest(),
            size=len(data),
        )
        assert issubclass(BatchFileError, IntakeError)

    def test_an_explicit_format_overrides_the_suffix(self, tmp_path: Path) -> None:
        """A file named .txt is read as the format the caller names."""
        path = write(tmp_path, "b.TXT", '{"record_id": "r1"}\n')
        assert open_batch(path, required=["record_id"], file_format="jsonl").format == "jsonl"
        assert open_batch(write(tmp_path, "c.CSV", "record_id\n"), required=()).format == "csv"

    def test_a_missing_file_is_refused(self, tmp_path: Path) -> None:
        """A path that does not exist is named in the refusal."""
        assert "no such file" in refusal(tmp_path / "absent.csv")

    def test_an_unknown_format_is_refused(self, tmp_path: Path) -> None:
        """Neither the suffix nor an explicit format can be guessed at."""
        assert "unknown format" in refusal(write(tmp_path, "b.xlsx", "record_id\n"))
        assert "unknown format" in refusal(write(tmp_path, "b.csv", "record_id\n"), file_format="tsv")

    def test_an_empty_file_is_refused(self, tmp_path: Path) -> None:
        """Zero bytes is no batch at all, in every format."""
        for name in ("b.csv", "b.jsonl", "b.parquet"):
            assert "empty" in refusal(write(tmp_path, name, b""))

    def test_a_file_without_a_header_is_refused(self, tmp_path: Path) -> None:
        """A UTF-8 BOM alone, or a blank first line, leaves no column names."""
        assert "no header" in refusal(write(tmp_path, "bom.csv", codecs.BOM_UTF8))
        assert "no header" in refusal(write(tmp_path, "blank.csv", "\r\nrecord_id\r\nr1\r\n"))

    def test_a_repeated_column_is_refused_whatever_its_case(self, tmp_path: Path) -> None:
        """Two columns that normalize to one name would make a value ambiguous."""
        message = refusal(write(tmp_path, "b.csv", "record_id,Zip,zip \nr1,1,2\n"))
        assert "column zip appears more than once" in message

    def test_a_missing_required_column_is_named_with_the_columns_found(self, tmp_path: Path) -> None:
        """The message says which column is missing and lists what the header has."""
        message = refusal(write(tmp_path, "b.csv", "record_id,zip\n"), required=["record_id", "surname"])
        assert "required column surname missing" in message
        assert "found: record_id, zip" in message

    def test_a_nameless_or_garbled_header_column_is_refused(self, tmp_path: Path) -> None:
        """An empty name (a trailing comma) or control characters (UTF-16 without BOM) fail closed."""
        assert "header column 3 has no name" in refusal(write(tmp_path, "a.csv", "record_id,zip,\n"))
        utf16 = "record_id,zip\n".encode("utf-16-le")
        assert "convert it to UTF-8" in refusal(write(tmp_path, "b.csv", utf16))

    @pytest.mark.parametrize("suffix", ["csv", "jsonl"])
    def test_invalid_utf8_is_refused_naming_the_line(self, tmp_path: Path, suffix: str) -> None:
        """The 1-based line of the first bad byte is given, so the sender can find it."""
        lines = {"csv": [b"record_id,surname", b"r1,Ana", b"r2,Mu\xf1oz"],
                 "jsonl": [b'{"record_id": "r1"}', b'{"record_id": "r2"}', b'{"surname": "Mu\xf1oz"}']}  # fmt: skip
        message = refusal(write(tmp_path, f"b.{suffix}", b"\n".join(lines[suffix]) + b"\n"))
        assert "line 3 is not valid UTF-8" in message

    def test_a_truncated_character_at_the_end_is_invalid_utf8(self, tmp_path: Path) -> None:
        """A multi-byte sequence cut off by the end of the file is caught too."""
        message = refusal(write(tmp_path, "b.csv", b"record_id\nr1\nr2\xc3"))
        assert "line 3 is not valid UTF-8" in message

    def test_a_character_split_across_read_chunks_is_valid(self, tmp_path: Path) -> None:
        """UTF-8 is checked in chunks; a character straddling two of them is not an error."""
        before = parse._CHUNK_BYTES - 1 - len("surname\n")  # bytes between the header and the "é"
        path = write(
            tmp_path,
            "b.csv",
            "surname\n" + ("x" * 99 + "\n") * (before // 100) + "x" * (before % 100) + "é\n",
        )
        rows = rows_of(path, declared=["surname"])
        assert path.read_bytes()[parse._CHUNK_BYTES - 1 : parse._CHUNK_BYTES + 1] == "é".encode()
        assert rows[-1].fields["surname"] == "x" * (before % 100) + "é" and not rows[-1].defects

    @pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
    def test_a_utf16_or_utf32_byte_order_mark_is_refused(self, tmp_path: Path, encoding: str) -> None:
        """The message names the encoding found and asks for UTF-8."""
        data = "\ufeffrecord_id\nr1\n".encode(encoding)
        message = refusal(write(tmp_path, "b.csv", data))
        assert f"is {encoding[:6].upper()}" in message
        assert "convert it to UTF-8" in message

    @pytest.mark.parametrize("suffix", ["csv", "jsonl"])
    def test_a_utf8_byte_order_mark_is_ignored(self, tmp_path: Path, suffix: str) -> None:
        """Excel writes one; it must not end up in the first column's name."""
        content = {"csv": "record_id,zip\nr1,02134\n", "jsonl": '{"record_id": "r1", "zip": "02134"}\n'}
        path = write(tmp_path, f"b.{suffix}", codecs.BOM_UTF8 + content[suffix].encode())
        batch = open_batch(path, required=["record_id"])
        assert batch.columns == ("record_id", "zip")
        assert next(iter_rows(batch, declared=DECLARED)).fields["record_id"] == "r1"

    def test_a_file_pyarrow_cannot_open_is_refused(self, tmp_path: Path) -> None:
        """Bytes that are not Parquet are refused as a whole."""
        assert "cannot be read as Parquet" in refusal(write(tmp_path, "b.parquet", b"record_id\nr1\n"))

    def test_parquet_columns_are_checked_like_a_header(self, tmp_path: Path) -> None:
        """Parquet column names are normalized, must be unique and must include the required ones."""
        path = tmp_path / "b.parquet"
        pq.write_table(pa.Table.from_arrays([pa.array(["r1"]), pa.array(["1"])], names=["ZIP", "zip"]), path)
        assert "column zip appears more than once" in refusal(path)
        pq.write_table(pa.table({" Record_ID": ["r1"]}), path)
        assert open_batch(path, required=["record_id"]).columns == ("record_id",)
        assert "required column zip missing" in refusal(path, required=["zip"])

    def test_jsonl_columns_are_the_keys_seen(self, tmp_path: Path) -> None:
        """JSON Lines has no header: the columns are the union of keys, in order of appearance."""
        path = write(tmp_path, "b.jsonl", '{"record_id": "r1"}\n\n[1]\n{"Zip": "1", "record_id": "r2"}\n')
        assert open_batch(path, required=["zip"]).columns == ("record_id", "zip")
        assert "required column surname missing" in refusal(path, required=["surname"])


class TestCsvRows:
    def test_values_are_kept_as_given_and_absent_columns_are_empty(self, tmp_path: Path) -> None:
        """Quoted commas, quotes and CR/LF survive; a declared column not in the file is ""."""
        path = write(
            tmp_path, "b.csv", 'record_id,given_name,zip\r\nr1," Ana, ""Jo""\r\nx",02134\r\nr2,,\r\n'
        )
        rows = rows_of(path)
        assert rows == [
            RequestRow(
                1, {"record_id": "r1", "given_name": ' Ana, "Jo"\r\nx', "surname": "", "zip": "02134"}, ()
            ),
            RequestRow(2, {"record_id": "r2", "given_name": "", "surname": "", "zip": ""}, ()),
        ]

    def test_a_row_with_the_wrong_number_of_fields_is_malformed(self, tmp_path: Path) -> None:
        """Too many or too few fields is a defect of that row only; numbering goes on."""
        path = write(tmp_path, "b.csv", "record_id,zip\nr1,1,extra\nr2\nr3,3\n")
        rows = rows_of(path)
        assert [codes(row) for row in rows] == [[(None, "MALFORMED_ROW")], [(None, "MALFORMED_ROW")], []]
        assert rows[0].fields == dict.fromkeys(DECLARED, "")
        assert "line 2" in rows[0].defects[0].detail
        assert (rows[2].number, rows[2].fields["record_id"]) == (3, "r3")

    def test_blank_lines_are_skipped_without_a_number(self, tmp_path: Path) -> None:
        """Numbers count data rows only, so they match what count_rows reports."""
        path = write(tmp_path, "b.csv", "record_id\n\nr1\n\r\n\nr2\n")
        rows = rows_of(path)
        assert [(row.number, row.fields["record_id"]) for row in rows] == [(1, "r1"), (2, "r2")]
        assert count_rows(open_batch(path, required=())) == 2

    def test_a_value_longer_than_the_limit_is_dropped(self, tmp_path: Path) -> None:
        """MAX_FIELD_CHARS is allowed; one more is FIELD_TOO_LONG for that field, others kept."""
        path = write(tmp_path, "b.csv", f"record_id,surname\nr1,{'a' * MAX_FIELD_CHARS}\nr2,{'é' * 4097}\n")
        first, second = rows_of(path)
        assert len(first.fields["surname"]) == MAX_FIELD_CHARS and not first.defects
        assert codes(second) == [("surname", "FIELD_TOO_LONG")]
        assert second.fields == {"record_id": "r2", "given_name": "", "surname": "", "zip": ""}
        assert "surname" in second.defects[0].detail

    def test_a_10mb_field_is_too_long_not_a_crash(self, tmp_path: Path) -> None:
        """Far past csv's default field limit: that row is defective and later rows still parse."""
        path = write(tmp_path, "b.csv", f'record_id,surname\nr1,"{"x" * 10_000_000}"\nr2,Ana\n')
        first, second = rows_of(path)
        assert codes(first) == [("surname", "FIELD_TOO_LONG")]
        assert second.fields["surname"] == "Ana"

    def test_a_line_past_the_hard_limit_refuses_the_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Beyond MAX_LINE_CHARS memory would grow with the input, so the file is refused."""
        monkeypatch.setattr(parse, "MAX_LINE_CHARS", 1000)
        path = write(tmp_path, "b.csv", f"record_id,surname\nr1,a\nr2,{'x' * 2000}\nr3,c\n")
        batch = open_batch(path, required=())
        with pytest.raises(BatchFileError, match="line 3 is longer than 1000 characters"):
            list(iter_rows(batch, declared=DECLARED))

    def test_an_undeclared_column_with_a_value_is_a_defect(self, tmp_path: Path) -> None:
        """The column is named, its value dropped; empty cells in it pass silently."""
        path = write(tmp_path, "b.csv", f"record_id,ssn\nr1,{CONFIDENTIAL}\nr2,\n")
        first, second = rows_of(path)
        assert codes(first) == [("ssn", "UNDECLARED_FIELD")]
        assert "ssn" in first.defects[0].detail
        assert "ssn" not in first.fields
        assert not second.defects

    @pytest.mark.parametrize("character", ["\x00", "\x01", "\x0b", "\x1b", "\x1f"])
    def test_control_characters_are_bad(self, tmp_path: Path, character: str) -> None:
        """NUL and other C0 controls make BAD_CHARACTERS; the value is dropped."""
        path = write(tmp_path, "b.csv", f"record_id,surname\nr1,An{character}a\n")
        (row,) = rows_of(path)
        assert codes(row) == [("surname", "BAD_CHARACTERS")]
        assert row.fields["surname"] == ""

    def test_tab_cr_and_lf_are_allowed(self, tmp_path: Path) -> None:
        """Whitespace controls are ordinary text inside a quoted field."""
        (row,) = rows_of(write(tmp_path, "b.csv", 'surname\n"a\tb\rc\nd"\n'))
        assert row.fields["surname"] == "a\tb\rc\nd" and not row.defects

    def test_messages_never_carry_the_value(self, tmp_path: Path) -> None:
        """Every defect names the field only, whatever the defect."""
        path = write(tmp_path, "b.csv", f"record_id,surname,ssn\n{CONFIDENTIAL},{CONFIDENTIAL}\x00,{CONFIDENTIAL}\n"
                     f"r2,{CONFIDENTIAL * 500},\n{CONFIDENTIAL},{CONFIDENTIAL}\n")  # fmt: skip
        defects = [defect for row in rows_of(path) for defect in row.defects]
        assert {d.code for d in defects} == {
            "BAD_CHARACTERS",
            "UNDECLARED_FIELD",
            "FIELD_TOO_LONG",
            "MALFORMED_ROW",
        }
        assert all(CONFIDENTIAL not in d.detail for d in defects)

    def test_count_rows_counts_records_not_lines(self, tmp_path: Path) -> None:
        """A quoted field spanning lines is one record; the header is not counted."""
        path = write(tmp_path, "b.csv", 'surname\n"a\nb\nc"\nd\n\n')
        batch = open_batch(path, required=())
        assert count_rows(batch) == 2 == len(list(iter_rows(batch, declared=["surname"])))

    def test_a_file_changed_after_opening_is_refused_at_the_end(self, tmp_path: Path) -> None:
        """The rows must come from the bytes whose digest was checked against the envelope."""
        path = write(tmp_path, "b.csv", "record_id\nr1\n")
        batch = open_batch(path, required=())
        path.write_text("record_id\nr9\n")
        with pytest.raises(BatchFileError, match="changed after it was opened"):
            list(iter_rows(batch, declared=DECLARED))

    @pytest.mark.slow
    def test_a_million_rows_stream_in_bounded_memory(self, tmp_path: Path) -> None:
        """Peak traced memory while iterating 1,000,000 rows stays far below the file's size."""
        path = tmp_path / "big.csv"
        with path.open("w", newline="") as handle:
            handle.write("record_id\n")
            for start in range(0, 1_000_000, 100_000):
                handle.write("".join(f"r{number:07d}\n" for number in range(start, start + 100_000)))
        batch = open_batch(path, required=["record_id"])
        tracemalloc.start()
        try:
            last = collections.deque(iter_rows(batch, declared=["record_id"]), maxlen=1)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert last[0] == RequestRow(1_000_000, {"record_id": "r0999999"}, ())
        assert peak < batch.size / 20, (peak, batch.size)


class TestJsonlRows:
    def test_strings_are_kept_and_null_is_empty(self, tmp_path: Path) -> None:
        """Keys are matched case-insensitively; null and absent both give ""."""
        path = write(tmp_path, "b.jsonl", '{"Record_ID": "r1", "zip": "02134", "surname": null}\r\n')
        assert rows_of(path) == [
            RequestRow(1, {"record_id": "r1", "given_name": "", "surname": "", "zip": "02134"}, ())
        ]

    def test_blank_lines_are_skipped_and_not_counted(self, tmp_path: Path) -> None:
        """Whitespace-only lines are not records: they take no number."""
        path = write(tmp_path, "b.jsonl", '\n{"record_id": "r1"}\n  \n\n{"record_id": "r2"}')
        rows = rows_of(path)
        assert [(row.number, row.fields["record_id"]) for row in rows] == [(1, "r1"), (2, "r2")]
        assert count_rows(open_batch(path, required=())) == 2

    @pytest.mark.parametrize("line", ['["r1"]', '"r1"', "42", "null", '{"record_id": "r1"', "{oops}",
                                      "[" * 100_000, "1" * 5000, '{"a": 1, "A": 2}'])  # fmt: skip
    def test_a_line_that_is_not_one_json_object_is_malformed(self, tmp_path: Path, line: str) -> None:
        """Arrays, scalars, broken JSON, deep nesting, huge integers and repeated keys: one defect."""
        path = write(tmp_path, "b.jsonl", f'{{"record_id": "r0"}}\n{line}\n{{"record_id": "r2"}}\n')
        first, second, third = rows_of(path)
        assert codes(second) == [(None, "MALFORMED_ROW")] and "line 2" in second.defects[0].detail
        assert second.fields == dict.fromkeys(DECLARED, "")
        assert (first.fields["record_id"], third.number, third.fields["record_id"]) == ("r0", 3, "r2")

    @pytest.mark.parametrize(
        ("value", "kind"), [("2134", "a number"), ("1.5", "a number"), ("true", "a boolean"),
                            (f'["{CONFIDENTIAL}"]', "a list"), (f'{{"n": "{CONFIDENTIAL}"}}', "an object")]
    )  # fmt: skip
    def test_a_value_that_is_not_text_is_a_bad_value_type(
        self, tmp_path: Path, value: str, kind: str
    ) -> None:
        """Numbers would lose a ZIP code's leading zero, so only strings and null are accepted."""
        path = write(tmp_path, "b.jsonl", f'{{"record_id": "r1", "zip": {value}}}\n')
        (row,) = rows_of(path)
        assert codes(row) == [("zip", "BAD_VALUE_TYPE")]
        assert row.defects[0].detail == f"field zip must be text or null, not {kind}"
        assert row.fields["zip"] == "" and row.fields["record_id"] == "r1"

    def test_escaped_controls_and_lone_surrogates_are_bad_characters(self, tmp_path: Path) -> None:
        """JSON escapes can smuggle NUL or an unpaired surrogate that UTF-8 cannot carry."""
        path = write(
            tmp_path,
            "b.jsonl",
            '{"surname": "A\\u0000"}\n{"surname": "\\ud800"}\n{"surname": "\\ud83d\\ude00"}\n',
        )
        rows = rows_of(path)
        assert [codes(row) for row in rows] == [[("surname", "BAD_CHARACTERS")]] * 2 + [[]]
        assert rows[2].fields["surname"] == "😀"

    def test_a_garbled_or_huge_key_is_named_safely(self, tmp_path: Path) -> None:
        """Keys with NUL, a lone surrogate or 100,000 characters are escaped and cut in field and detail."""
        keys = ["a\x00b", "\ud800", "k" * 100_000]
        line = json.dumps({**dict.fromkeys(keys, "v"), "record_id": "r1"}) + "\n"  # escapes NUL and \ud800
        path = write(tmp_path, "b.jsonl", line)
        assert open_batch(path, required=()).columns == ("record_id",)
        (row,) = rows_of(path)
        assert [d.field for d in row.defects] == [repr("a\x00b"), repr("\ud800"), repr("k" * 64) + "..."]
        assert all(d.code == "UNDECLARED_FIELD" and len(d.detail) < 120 for d in row.defects)
        assert all(d.field is not None and d.field.isprintable() for d in row.defects)

    def test_undeclared_and_too_long_values_are_defects(self, tmp_path: Path) -> None:
        """The same per-field rules as CSV apply, in the order of the keys."""
        record = {"record_id": "r1", "ssn": CONFIDENTIAL, "surname": "x" * (MAX_FIELD_CHARS + 1), "note": ""}
        (row,) = rows_of(write(tmp_path, "b.jsonl", json.dumps(record) + "\n"))
        assert codes(row) == [("ssn", "UNDECLARED_FIELD"), ("surname", "FIELD_TOO_LONG")]
        assert row.fields == {"record_id": "r1", "given_name": "", "surname": "", "zip": ""}


class TestParquetRows:
    def test_strings_nulls_and_numbering_across_chunks(self, tmp_path: Path) -> None:
        """Row numbers continue across record batches and row groups; null gives ""."""
        total = parse._PARQUET_BATCH_ROWS * 2 + 5
        table = pa.table({"Record_ID": [f"r{n}" for n in range(total)],
                          "surname": pa.array(["Ana", None] * (total // 2) + ["Ana"], pa.large_string())})  # fmt: skip
        path = tmp_path / "b.parquet"
        pq.write_table(table, path, row_group_size=700)
        batch = open_batch(path, required=["record_id"])
        rows = list(iter_rows(batch, declared=DECLARED))
        assert [row.number for row in rows] == list(range(1, total + 1)) and count_rows(batch) == total
        assert rows[-1].fields == {
            "record_id": f"r{total - 1}",
            "given_name": "",
            "surname": "Ana",
            "zip": "",
        }
        assert rows[-2].fields["surname"] == "" and not any(row.defects for row in rows)

    def test_non_text_columns_are_bad_value_types(self, tmp_path: Path) -> None:
        """Ints, dates and structs are refused per value, not cast: the requester must send text."""
        table = pa.table({"record_id": ["r1", "r2"], "zip": pa.array([2134, None], pa.int64()),
                          "dob": [datetime.date(1980, 2, 3), None], "ssn": ["", None],
                          "surname": [{"n": CONFIDENTIAL}, None]})  # fmt: skip
        path = tmp_path / "b.parquet"
        pq.write_table(table, path)
        first, second = rows_of(path, declared=[*DECLARED, "dob"])
        assert codes(first) == [
            ("zip", "BAD_VALUE_TYPE"),
            ("dob", "BAD_VALUE_TYPE"),
            ("surname", "BAD_VALUE_TYPE"),
        ]
        assert [d.detail.rsplit(" ", 1)[-1] for d in first.defects] == ["number", "date", "object"]
        assert not second.defects and second.fields["zip"] == ""

    def test_a_string_column_that_is_not_utf8_refuses_the_file(self, tmp_path: Path) -> None:
        """Parquet strings are not checked when written; a bad one stops the batch, bytes unquoted."""
        path = tmp_path / "b.parquet"
        values = pa.array([b"r1", b"\xff\xfe" + CONFIDENTIAL.encode()], pa.binary()).view(pa.string())
        pq.write_table(pa.table({"record_id": values}), path)
        with pytest.raises(BatchFileError, match="not UTF-8") as caught:
            list(iter_rows(open_batch(path, required=()), declared=DECLARED))
        assert CONFIDENTIAL not in str(caught.value) and "\\xff" not in str(caught.value)

    def test_a_replaced_file_is_refused_at_the_end(self, tmp_path: Path) -> None:
        """As for text files, the rows must come from the bytes that were opened."""
        path = tmp_path / "b.parquet"
        pq.write_table(pa.table({"record_id": ["r1"]}), path)
        batch = open_batch(path, required=())
        pq.write_table(pa.table({"record_id": ["r9"]}), path)
        with pytest.raises(BatchFileError, match="changed after it was opened"):
            list(iter_rows(batch, declared=DECLARED))


CSV_PIECES = st.sampled_from(["record_id", "zip", ",", '"', '""', "\n", "\r", "\r\n", "\x00", "\x1b", "a", "0",
                              " ", "\t", "\ufeff", "é", "=1"])  # fmt: skip
CSV_TEXT = st.tuples(
    st.sampled_from(["", "record_id,zip,note\r\n", "\ufeffRecord_ID, zip\n"]),
    st.lists(CSV_PIECES | st.text(max_size=4), max_size=60),
).map(lambda parts: (parts[0] + "".join(parts[1])).encode())
JSON_PIECES = st.sampled_from(['{"record_id": ', '{"zip":', '"r1"', '"\\u0000"', '"\\ud800"', "null", "1e999",
                               "[", "]", "{", "}", ",", ":", "\n", "\r", " ", '"', "true"])  # fmt: skip
JSON_VALUES = (
    st.none()
    | st.text(max_size=6)
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.lists(st.none(), max_size=2)
)
JSON_OBJECTS = st.dictionaries(
    st.sampled_from(["record_id", "zip", "Zip", "note", ""]), JSON_VALUES, max_size=4
)
JSONL_TEXT = st.lists(JSON_PIECES | JSON_OBJECTS.map(lambda obj: json.dumps(obj) + "\n"), max_size=30).map(
    lambda parts: "".join(parts).encode()
)


class TestHostileInput:
    @settings(
        max_examples=300, deadline=2_000, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(
        suffix=st.sampled_from(["csv", "jsonl"]),
        data=st.one_of(st.binary(max_size=400), CSV_TEXT, JSONL_TEXT),
    )
    def test_random_bytes_give_rows_or_a_batch_file_error(
        self, tmp_path_factory: pytest.TempPathFactory, suffix: str, data: bytes
    ) -> None:
        """Only BatchFileError may escape; any other exception is a crash, and counts must agree."""
        path = tmp_path_factory.mktemp("hostile") / f"batch.{suffix}"
        path.write_bytes(data)
        try:
            batch = open_batch(path, required=())
            rows = list(iter_rows(batch, declared=["record_id", "zip"]))
            counted = count_rows(batch)
        except BatchFileError:
            return
        defects = [defect for row in rows for defect in row.defects]
        assert {type(row) for row in rows} <= {RequestRow} and {type(d) for d in defects} <= {RowDefect}
        assert all(d.field is None or d.field.isprintable() for d in defects)
        assert [row.number for row in rows] == list(range(1, len(rows) + 1))
        assert counted == len(rows)
