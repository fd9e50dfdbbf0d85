"""The command line, driven as an operator and an auditor would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custos.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


class TestLedgerCommands:
    def test_init_export_verify_prove(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """init, checkpoint, export, verify, prove and verify-proof work together with exit 0."""
        data = tmp_path / "data"
        code, out = run(capsys, "init", "--dir", str(data))
        assert code == 0 and "signing key" in out and str(data) in out
        code, out = run(capsys, "--dir", str(data), "ledger", "checkpoint")
        assert code == 0 and out.startswith("custos.localhost/ledger/v1\n1\n")
        bundle = tmp_path / "bundle"
        assert run(capsys, "--dir", str(data), "ledger", "export", str(bundle))[0] == 0
        keys = bundle / "trusted-keys.txt"
        code, out = run(capsys, "ledger", "verify", str(bundle), "--keys", str(keys))
        assert code == 0 and json.loads(out)["ok"] is True
        proof = tmp_path / "0.tlog-proof"
        assert run(capsys, "--dir", str(data), "ledger", "prove", "0", "--out", str(proof))[0] == 0
        assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\nindex 0\n")
        code, out = run(
            capsys,
            "ledger",
            "verify-proof",
            str(proof),
            "--leaf",
            str(proof.with_suffix(".leaf")),
            "--keys",
            str(keys),
        )
        assert code == 0 and json.loads(out)["ok"] is True

    def test_a_failed_verification_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The shell sees the verdict: a bundle tampered by one byte makes 'ledger verify' exit 1."""
        data = tmp_path / "data"
        run(capsys, "init", "--dir", str(data))
        bundle = tmp_path / "bundle"
        run(capsys, "--dir", str(data), "ledger", "export", str(bundle))
        entries = bundle / "entries.jsonl"
        entries.write_bytes(entries.read_bytes().replace(b'"seq":0', b'"seq":7', 1))
        code, out = run(capsys, "ledger", "verify", str(bundle), "--keys", str(bundle / "trusted-keys.txt"))
        assert code == 1 and json.loads(out)["ok"] is False

    def test_consistency_file_verifies(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A consistency proof between two checkpoints verifies offline."""
        data = tmp_path / "data"
        run(capsys, "init", "--dir", str(data))
        bundle = tmp_path / "bundle"
        run(capsys, "--dir", str(data), "ledger", "export", str(bundle))
        out_file = tmp_path / "c.consistency"
        assert run(capsys, "--dir", str(data), "ledger", "consistency", "1", "--out", str(out_file))[0] == 0
        from custos.ledger import verifier

        code = verifier.main(["consistency", str(out_file), "--keys", str(bundle / "trusted-keys.txt")])
        assert code == 0

    def test_status_and_audit(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """status reports size and verifier key; audit exits 0 on an intact ledger."""
        data = tmp_path / "data"
        run(capsys, "init", "--dir", str(data))
        code, out = run(capsys, "--dir", str(data), "ledger", "status")
        status = json.loads(out)
        assert code == 0 and status["entries"] == 1 and status["alarm"] is None
        assert status["verifier_key"].startswith("custos.localhost/ledger/v1+")
        code, out = run(capsys, "--dir", str(data), "ledger", "audit")
        assert code == 0 and json.loads(out)["ok"] is True

    def test_errors_are_explained(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing data directory is an error with the next step, and a usage error exits 2."""
        assert main(["--dir", str(tmp_path / "none"), "ledger", "status"]) == 1
        assert "custos init" in capsys.readouterr().err
        assert main(["ledger", "verify"]) == 2

    def test_demo_runs_end_to_end(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo runs a signed batch through approval and delivery, verifies its bundle, catches tampering."""
        code, out = run(capsys, "demo", "--dir", str(tmp_path / "demo"))
        assert code == 0
        out = " ".join(out.split())  # rich wraps long lines
        assert "awaiting_approval" in out and "Delivered the results" in out
        assert "REJECTED_ADDRESS_MISSING" in out and "REJECTED_ADDRESS_ZIP_ONLY" in out
        assert "verified (" in out and "tampering detected, first bad seq" in out
        outbox = tmp_path / "demo" / "installation" / "demo" / "outbox"
        assert len(list(outbox.glob("*-results.csv"))) == 1
