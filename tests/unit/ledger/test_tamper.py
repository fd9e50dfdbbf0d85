"""Tamper matrix: any single-row change to a bundle or the database is caught and located.

For every position in a 20-entry log: modify, delete, insert or reorder one
row, or truncate the tail; the offline verifier exits 1 and names the first
bad seq (or the size regression against the checkpoint an auditor kept).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.backend import OwnerHands

from custos.ledger import verifier
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, Outcome
from custos.ledger.export import export_bundle
from custos.runtime import Runtime

ENTRIES = 20
AUDITOR = Actor(ActorKind.AUDITOR, "tamper-test")


def fill(runtime: Runtime, count: int = ENTRIES - 1) -> None:
    """Bring the log (init's entry plus these) to ENTRIES entries, with checkpoints along the way."""
    for i in range(count):
        with runtime.ledger.transaction() as tx:
            tx.append(
                AuditEvent(
                    EventType.DECISION_MADE,
                    Actor.system("pipeline"),
                    "decide_record",
                    Outcome.SUCCESS,
                    reason_code="NOT_CONFIRMED",
                    details={"record": f"R-{i:04d}"},
                )
            )
        if i % 6 == 5:
            runtime.ledger.checkpoint(full_audit=False)


@pytest.fixture
def filled(runtime: Runtime) -> Runtime:
    fill(runtime)
    runtime.ledger.checkpoint()
    assert runtime.ledger.head().size == ENTRIES
    return runtime


@pytest.fixture
def bundle(filled: Runtime, tmp_path: Path) -> Path:
    """A verified export of the filled ledger (its export entry makes it ENTRIES + 1 long)."""
    directory = tmp_path / "bundle"
    export_bundle(filled.ledger, directory, AUDITOR)
    report = verify(directory)
    assert report["ok"], report
    return directory


def verify(directory: Path, retained: Path | None = None) -> dict[str, object]:
    """Run the verifier as an auditor would: a separate process, JSON on stdout."""
    argv = [sys.executable, "-m", "custos.ledger.verifier", "bundle", str(directory)]
    argv += ["--keys", str(directory / "trusted-keys.txt")]
    argv += ["--prev-checkpoint", str(retained)] if retained else []
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    report: dict[str, object] = json.loads(result.stdout)
    report["exit"] = result.returncode
    return report


def verify_in_process(directory: Path, retained: Path | None = None) -> verifier.Report:
    keys = verifier.parse_keys((directory / "trusted-keys.txt").read_text())
    note = retained.read_text() if retained else None
    return verifier.verify_bundle(directory, keys, None, note)


def lines_of(directory: Path) -> list[bytes]:
    return (directory / "entries.jsonl").read_bytes().split(b"\n")[:-1]


def write_lines(directory: Path, lines: list[bytes]) -> None:
    (directory / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def modified(line: bytes) -> bytes:
    """The same entry with one value changed, still canonical JSON."""
    entry = verifier.parse_leaf(line)
    entry["action"] = entry["action"] + "x"
    return verifier.canonical_json(entry)


def forged(line_before: bytes, seq: int) -> bytes:
    """An entry an attacker would insert: well formed, correctly chained, claiming ``seq``."""
    entry = verifier.parse_leaf(line_before)
    entry.update(seq=seq, prev_leaf_hash=verifier.leaf_hash(line_before).hex(), action="forged")
    return verifier.canonical_json(entry)


BundleTamper = Callable[[list[bytes], int], list[bytes]]

BUNDLE_TAMPERS: dict[str, tuple[BundleTamper, Callable[[int], int]]] = {
    "modify": (lambda ls, k: [*ls[:k], modified(ls[k]), *ls[k + 1 :]], lambda k: k),
    "modify_non_canonical": (
        lambda ls, k: [*ls[:k], ls[k].replace(b":", b": ", 1), *ls[k + 1 :]],
        lambda k: k,
    ),
    "delete": (lambda ls, k: ls[:k] + ls[k + 1 :], lambda k: k),
    "insert": (lambda ls, k: [*ls[:k], forged(ls[k - 1], k), *ls[k:]], lambda k: k),
    "reorder": (lambda ls, k: [*ls[:k], ls[k + 1], ls[k], *ls[k + 2 :]], lambda k: k),
}


class TestBundleTamper:
    @pytest.mark.parametrize("kind", sorted(BUNDLE_TAMPERS))
    def test_every_position_is_caught_and_named(self, bundle: Path, tmp_path: Path, kind: str) -> None:
        """Each single-row tamper at each position fails verification naming that seq."""
        tamper, expected_seq = BUNDLE_TAMPERS[kind]
        original = lines_of(bundle)
        last = len(original) - (2 if kind == "reorder" else 1)
        for k in range(1 if kind == "insert" else 0, last + 1):
            copy = tmp_path / f"{kind}-{k}"
            shutil.copytree(bundle, copy)
            write_lines(copy, tamper(original, k))
            report = verify_in_process(copy)
            assert not report.ok, (kind, k)
            assert report.first_bad_seq == expected_seq(k), (kind, k, report.failures[:2])

    def test_cli_exit_code_and_report(self, bundle: Path, tmp_path: Path) -> None:
        """The command-line verifier exits 1 and its JSON names the first bad seq and check."""
        copy = tmp_path / "modified"
        shutil.copytree(bundle, copy)
        original = lines_of(copy)
        write_lines(copy, [*original[:7], modified(original[7]), *original[8:]])
        report = verify(copy)
        assert report["exit"] == 1
        assert report["first_bad_seq"] == 7
        assert report["first_failed_check"] == "entry"

    @pytest.mark.parametrize("drop", [1, 2, 5])
    def test_truncated_tail_with_its_checkpoints_is_a_size_regression(
        self, bundle: Path, tmp_path: Path, drop: int
    ) -> None:
        """Cutting the tail and the checkpoints that cover it fails against the retained checkpoint."""
        retained = tmp_path / "kept.checkpoint"
        newest = max(int(p.stem) for p in (bundle / "checkpoints").glob("*.checkpoint"))
        shutil.copyfile(bundle / "checkpoints" / f"{newest}.checkpoint", retained)
        copy = tmp_path / f"truncated-{drop}"
        shutil.copytree(bundle, copy)
        kept = lines_of(copy)[:-drop]
        write_lines(copy, kept)
        for path in (copy / "checkpoints").glob("*.checkpoint"):
            if int(path.stem) > len(kept):
                path.unlink()
        report = verify(copy, retained)
        assert report["exit"] == 1
        assert report["first_failed_check"] in {"size_regression", "unsigned_tail"}
        assert report["first_bad_seq"] == len(kept) or any(
            f["check"] == "size_regression"
            for f in report["failures"]  # type: ignore[attr-defined]
        )
        assert any(f["check"] == "size_regression" for f in report["failures"])  # type: ignore[attr-defined]

    def test_truncated_tail_keeping_checkpoints_is_caught_without_retained(
        self, bundle: Path, tmp_path: Path
    ) -> None:
        """Cutting entries that a bundled checkpoint covers fails even without a retained checkpoint."""
        copy = tmp_path / "truncated"
        shutil.copytree(bundle, copy)
        kept = lines_of(copy)[:-3]
        write_lines(copy, kept)
        report = verify(copy)
        assert report["exit"] == 1 and report["first_bad_seq"] == len(kept)

    def test_resigned_checkpoint_without_the_key_fails(self, bundle: Path, tmp_path: Path) -> None:
        """Editing a checkpoint's root breaks its signature."""
        copy = tmp_path / "checkpoint"
        shutil.copytree(bundle, copy)
        path = sorted((copy / "checkpoints").glob("*.checkpoint"))[0]
        lines = path.read_text().split("\n")
        lines[2] = "A" * 43 + "="
        path.write_text("\n".join(lines))
        report = verify(copy)
        assert report["exit"] == 1 and report["first_failed_check"] == "checkpoint_signature"

    def test_usage_and_parse_errors_exit_2(self, bundle: Path, tmp_path: Path) -> None:
        """A missing bundle or an unreadable keys file is a usage error, not a verdict."""
        bad_keys = tmp_path / "keys.txt"
        bad_keys.write_text("not a key\n")
        for argv in (
            ["bundle", str(tmp_path / "missing"), "--keys", str(bundle / "trusted-keys.txt")],
            ["bundle", str(bundle), "--keys", str(bad_keys)],
            ["bundle", str(bundle)],
        ):
            result = subprocess.run(
                [sys.executable, "-m", "custos.ledger.verifier", *argv], capture_output=True, check=False
            )
            assert result.returncode == 2, argv


def tamper_database(runtime: Runtime, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    """Change the database file directly, as its owner could, triggers dropped."""
    runtime.database.dispose()
    connection = OwnerHands(runtime.settings.data_dir)
    connection.disable_triggers()
    for sql, parameters in statements:
        connection.execute(sql, parameters)
    connection.close()


def leaf_at(runtime: Runtime, seq: int) -> bytes:
    return runtime.ledger.leaf(seq)


DATABASE_TAMPERS: dict[str, Callable[[Runtime, int], list[tuple[str, tuple[object, ...]]]]] = {
    "modify": lambda rt, k: [
        ("UPDATE ledger_entry SET leaf = ? WHERE seq = ?", (modified(leaf_at(rt, k)), k))
    ],
    "delete": lambda rt, k: [
        ("DELETE FROM ledger_entry WHERE seq = ?", (k,)),
        # In two steps: PostgreSQL checks the key row by row, in no particular order.
        ("UPDATE ledger_entry SET seq = seq + 1000 WHERE seq > ?", (k,)),
        ("UPDATE ledger_entry SET seq = seq - 1001 WHERE seq >= ?", (k + 1000,)),
    ],
    "insert": lambda rt, k: [
        ("UPDATE ledger_entry SET seq = seq + 1000 WHERE seq >= ?", (k,)),
        ("UPDATE ledger_entry SET seq = seq - 999 WHERE seq >= ?", (k + 1000,)),
        (
            "INSERT INTO ledger_entry VALUES (?, ?, ?, 'x', 'x', 'x')",
            (k, forged(leaf_at(rt, k - 1), k), bytes(32)),
        ),
    ],
    "reorder": lambda rt, k: [
        ("UPDATE ledger_entry SET leaf = ? WHERE seq = ?", (leaf_at(rt, k + 1), k)),
        ("UPDATE ledger_entry SET leaf = ? WHERE seq = ?", (leaf_at(rt, k), k + 1)),
    ],
}


class TestDatabaseTamper:
    @pytest.mark.parametrize("kind", sorted(DATABASE_TAMPERS))
    @pytest.mark.parametrize("position", [1, 2, 7, 12, ENTRIES - 2])
    def test_tampered_database_exports_a_failing_bundle(
        self, filled: Runtime, tmp_path: Path, kind: str, position: int
    ) -> None:
        """After a direct change to the database, the export still happens and its bundle fails."""
        tamper_database(filled, DATABASE_TAMPERS[kind](filled, position))
        reopened = Runtime.open(filled.settings)
        directory = tmp_path / "bundle"
        result = export_bundle(reopened.ledger, directory, AUDITOR)
        assert not result.audited
        assert reopened.ledger.alarm.reason() is not None
        reopened.close()
        report = verify(directory)
        assert report["exit"] == 1
        assert report["first_bad_seq"] == position, report["failures"]

    def test_truncated_database_tail_is_a_size_regression(self, filled: Runtime, tmp_path: Path) -> None:
        """Deleting the last rows and their checkpoints fails against the published checkpoint."""
        published = filled.settings.path(filled.settings.checkpoint_publish_dir) / "latest.checkpoint"
        retained = tmp_path / "retained.checkpoint"
        shutil.copyfile(published, retained)
        tamper_database(
            filled,
            [
                ("DELETE FROM ledger_entry WHERE seq >= ?", (ENTRIES - 3,)),
                ("DELETE FROM ledger_checkpoint WHERE tree_size > ?", (ENTRIES - 3,)),
            ],
        )
        reopened = Runtime.open(filled.settings)
        export_bundle(reopened.ledger, tmp_path / "bundle", AUDITOR)
        reopened.close()
        report = verify(tmp_path / "bundle", retained)
        assert report["exit"] == 1
        assert any(f["check"] == "size_regression" for f in report["failures"])  # type: ignore[attr-defined]

    def test_in_place_audit_names_the_row(self, filled: Runtime) -> None:
        """'custos ledger audit' (Ledger.audit) finds a modified row without an export."""
        tamper_database(filled, DATABASE_TAMPERS["modify"](filled, 9))
        reopened = Runtime.open(filled.settings)
        report = reopened.ledger.audit()
        reopened.close()
        assert not report.ok and report.first_bad_seq == 9
