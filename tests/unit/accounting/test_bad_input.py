"""Bad input at the pipeline: a clear per-record or per-file answer, nothing accepted lost, nothing crashes."""

from __future__ import annotations

import csv

import pytest
from tests.unit.accounting.harness import OPERATOR, Harness, activate_variant

from custos.accounting.admission import SubmissionRejected
from custos.accounting.release import Approval, approve_and_release, write_results
from custos.policy.agreement import REQUEST_ELEMENTS

APPROVAL = Approval(OPERATOR, "Disclosure Manager", "DO 11-2")


class TestWholeFile:
    def test_a_file_that_is_not_utf8_is_refused_with_one_ledger_event(self, demo: Harness) -> None:
        """Latin-1 bytes: REJ_FILE_UNUSABLE naming the line, one ledger event, no batch."""
        path = demo.write(demo.confirmable(1))
        path.write_bytes(path.read_bytes() + "x,Jos\xe9,,,,,,,,,,,,,,,,,,\n".encode("latin-1"))
        size = demo.ledger.head().size
        with pytest.raises(SubmissionRejected, match="line 3") as caught:
            demo.pipeline.submit(path, demo.sign(path))
        assert caught.value.code == "REJ_FILE_UNUSABLE"
        assert demo.ledger.head().size == size + 1

    def test_a_missing_required_column_is_refused_naming_it(self, demo: Harness) -> None:
        """A batch without 'investigation_id' is refused before any record is read."""
        header = [c for c in REQUEST_ELEMENTS if c != "investigation_id"]
        path = demo.write(demo.confirmable(1), header=header)
        with pytest.raises(SubmissionRejected, match="investigation_id"):
            demo.pipeline.submit(path, demo.sign(path))

    def test_a_byte_order_mark_is_accepted(self, demo: Harness) -> None:
        """A UTF-8 byte-order mark (as spreadsheets write) does not break the header."""
        path = demo.write(demo.confirmable(1))
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        assert demo.pipeline.submit(path, demo.sign(path)).by_code == {"CONFIRMED": 1}

    def test_a_million_row_file_is_refused_by_size_before_parsing(self, demo: Harness) -> None:
        """1,000,000 records against a 100,000 limit: REJ_BATCH_TOO_LARGE (R8), counted by streaming."""
        row = demo.confirmable(1)[0]
        path = demo.directory / "huge.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REQUEST_ELEMENTS)
            values = [row.get(c, "") for c in REQUEST_ELEMENTS]
            writer.writerows([f"R{n}", *values[1:]] for n in range(1_000_000))
        with pytest.raises(SubmissionRejected) as caught:
            demo.pipeline.submit(path, demo.sign(path))
        assert caught.value.code == "REJ_BATCH_TOO_LARGE"


class TestPerRecord:
    def test_bad_records_get_their_own_code_and_the_good_ones_go_on(self, demo: Harness) -> None:
        """A huge field, a control character and a bad date each reject their record only."""
        text = (demo.directory / "demo" / "agreement.toml").read_text()
        activate_variant(demo, text.replace("batch_defect_share = 0.05", "batch_defect_share = 0.9"))
        good = demo.confirmable(4)
        bad = [
            good[1] | {"record_id": "HUGE", "reason": "x" * 10_000},
            good[2] | {"record_id": "CTRL", "surname": "Smi\x07th"},
            good[3] | {"record_id": "DATE", "dob": "31/12/1980"},
        ]
        summary = demo.submit([good[0], *bad], agreement_version=2)
        codes = demo.codes(summary.batch_id)
        assert codes[good[0]["record_id"]] == "CONFIRMED"
        assert {codes["HUGE"], codes["CTRL"], codes["DATE"]} == {"REJ_MALFORMED_RECORD"}

    def test_formula_injection_is_neutralized_in_the_results_file(self, demo: Harness) -> None:
        """A record_id starting with '=' comes back quoted so no spreadsheet runs it."""
        rows = [r | {"record_id": f'=HYPERLINK("x"){n}'} for n, r in enumerate(demo.confirmable(2))]
        rows[1]["record_id"] = "@SUM(A1)"
        summary = demo.submit(rows)
        approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
        out = write_results(demo.ledger, summary.batch_id, OPERATOR, root=demo.directory)
        with out.open(newline="", encoding="utf-8") as handle:
            ids = [r["record_id"] for r in csv.DictReader(handle)]
        assert ids == ['\'=HYPERLINK("x")0', "'@SUM(A1)"]
