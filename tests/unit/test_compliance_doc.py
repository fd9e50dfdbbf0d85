"""docs/compliance.md stays true to the repository: every requirement once, every reference real."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "compliance.md"
STATUSES = {"done", "partial", "not yet"}
TEST_REF = re.compile(r"`(tests/[^`\s]+?\.py)((?:::[^`\s:]+)+)`")
SRC_PATH = re.compile(r"`(src/[^`\s]+)`")
BACKTICKED = re.compile(r"`([^`]+)`")


@cache
def text() -> str:
    return DOC.read_text(encoding="utf-8")


@cache
def rows(prefix: str) -> list[list[str]]:
    """The cells of every table row whose first cell is ``prefix`` followed by a number."""
    found = []
    for line in text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if re.fullmatch(rf"{prefix}\d+", cells[0]):
            found.append(cells)
    return found


@cache
def source(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def defines(code: str, name: str) -> bool:
    """Whether ``code`` has a def, a class, or an assignment or annotation of ``name``."""
    pattern = rf"^\s*(?:(?:async\s+)?def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*[:=]"
    return re.search(pattern, code, re.MULTILINE) is not None


def class_body(code: str, name: str) -> str | None:
    """The text of top-level ``class name`` up to the next top-level statement."""
    match = re.search(rf"^class {re.escape(name)}\b.*?(?=^\S|\Z)", code, re.MULTILINE | re.DOTALL)
    return match.group(0) if match else None


def test_every_requirement_and_failure_mode_has_exactly_one_row_in_order() -> None:
    """R1..R67 and F1..F14 each appear once, in order."""
    assert [cells[0] for cells in rows("R")] == [f"R{n}" for n in range(1, 68)]
    assert [cells[0] for cells in rows("F")] == [f"F{n}" for n in range(1, 15)]


def test_every_requirement_has_a_known_status_and_done_means_tested() -> None:
    """Each status is done, partial or not yet; done and partial rows name code and tests."""
    for cells in rows("R"):
        assert len(cells) == 5, cells[0]
        number, _, status, code, tests = cells
        assert status in STATUSES, number
        if status != "not yet":
            assert SRC_PATH.search(code), f"{number} names no module"
            assert TEST_REF.search(tests), f"{number} names no test"


def test_the_totals_line_matches_the_table() -> None:
    """The totals sentence counts the statuses of the table."""
    statuses = [cells[2] for cells in rows("R")]
    expected = (
        f"Totals: {statuses.count('done')} done, {statuses.count('partial')} partial, "
        f"{statuses.count('not yet')} not yet."
    )
    assert expected in text()


def test_every_test_reference_exists() -> None:
    """Each `path::name` or `path::Class::name` names an existing file, class and test."""
    references = TEST_REF.findall(text())
    assert references
    for path, names in references:
        assert (ROOT / path).is_file(), path
        code = source(path)
        parts = [re.sub(r"\[.*\]$", "", part) for part in names.split("::")[1:]]
        if len(parts) == 1:
            assert re.search(rf"^def {re.escape(parts[0])}\(", code, re.MULTILINE), f"{path}::{parts[0]}"
        else:
            assert len(parts) == 2, f"{path}{names}"
            body = class_body(code, parts[0])
            assert body is not None, f"{path}::{parts[0]}"
            assert re.search(rf"^\s+def {re.escape(parts[1])}\(", body, re.MULTILINE), f"{path}{names}"


def test_every_source_path_exists() -> None:
    """Each backticked path under src/ exists."""
    paths = SRC_PATH.findall(text())
    assert paths
    for path in paths:
        assert (ROOT / path).exists(), path


def test_names_in_the_code_column_are_defined_in_the_module_before_them() -> None:
    """In the code column, each name after a module path is defined in that module."""
    for cells in rows("R"):
        module = None
        for token in BACKTICKED.findall(cells[3]):
            if token.startswith("src/"):
                assert (ROOT / token).is_file(), f"{cells[0]}: {token}"
                module = token
                continue
            assert module is not None, f"{cells[0]}: {token} follows no module"
            for part in token.split("."):
                assert defines(source(module), part), f"{cells[0]}: {module} {token}"
