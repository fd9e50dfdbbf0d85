"""Auditor bundles and offline proofs (ledger-and-security.md section 5.5).

A bundle is a directory an auditor can verify with nothing but Python and
``cryptography``: ``entries.jsonl`` (line i is the exact leaf of seq i),
``checkpoints/<size>.checkpoint`` (every checkpoint ever signed),
``trusted-keys.txt``, ``README-verify.txt`` and ``ledger_verify.py`` (the
verifier, a copy of :mod:`custos.ledger.verifier`).  The export is itself an
``audit.export`` entry, and a checkpoint is signed after a full audit so the
bundle ends on a signed tree.  If the ledger is alarmed, the bundle is still
written from what is stored: auditors need it most then.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from custos.errors import Error, LedgerError
from custos.ledger import verifier
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.ledger.integrity import leaves_in_order
from custos.ledger.models import SignedCheckpoint
from custos.ledger.publish import write_atomically
from custos.ledger.service import Ledger
from custos.ledger.tables import ledger_checkpoint

logger = logging.getLogger(__name__)

README = """\
custos ledger bundle
====================

entries.jsonl          line i holds the exact bytes of ledger entry seq i (RFC 8785 JSON)
checkpoints/           every checkpoint the log signed (C2SP signed notes), named <size>.checkpoint
trusted-keys.txt       the log's verifier key as shipped; compare it with the key you
                       received out of band and verify with YOUR copy
ledger_verify.py       the verifier (Python 3.11+ and the 'cryptography' package only)
official-keys.json     every public key each requesting official was ever registered with,
                       as "<agreement id>/<signer id>": [PEM, ...] (written by 'custos ledger
                       export'); compare them with the keys in the agreements you hold

Verify (exit 0 verified, 1 failed, 2 usage or parse error; a JSON report on stdout):

    python ledger_verify.py bundle . --keys /path/to/your/trusted-keys.txt \\
        --prev-checkpoint /path/to/the/newest/checkpoint/you/kept \\
        --official-keys official-keys.json

Keep checkpoints/{newest}.checkpoint: at your next visit, pass it as --prev-checkpoint;
the verifier then proves the log still holds the tree you saw (no rollback, no rewrite).
With --official-keys it also re-verifies every official's signature the log records
(RFC 9421 request signatures and signed batch envelopes); requests refused at
authentication are counted, not verified, since they were refused for not verifying.

SHA-256 of ledger_verify.py: {verifier_sha256}
Origin: {origin}
Entries: {entries}; newest checkpoint: {newest}
"""


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote."""

    directory: Path
    entries: int
    checkpoints: int
    newest_checkpoint: int | None
    audited: bool


def export_bundle(ledger: Ledger, directory: Path, actor: Actor) -> ExportResult:
    """Record the export, sign a checkpoint after a full audit, then write the bundle."""
    audited = True
    try:
        ledger.append(
            AuditEvent(
                EventType.AUDIT_EXPORT,
                actor,
                "export_bundle",
                Outcome.SUCCESS,
                details={"format": "custos-bundle-v1"},
            )
        )
        ledger.checkpoint(full_audit=True)
    except Error as exc:  # an alarmed or damaged ledger is exported as stored, unaudited
        audited = False
        logger.error("exporting without a new checkpoint: %s", exc)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir(exist_ok=True)
    with ledger.database.read() as connection:
        checkpoints = [
            SignedCheckpoint(r.tree_size, bytes(r.root_hash), r.note, r.signed_at)
            for r in connection.execute(select(ledger_checkpoint).order_by(ledger_checkpoint.c.tree_size))
        ]
        entries = 0
        partial = directory / ".entries.jsonl.partial"
        with partial.open("wb") as handle:
            for leaf in leaves_in_order(connection):
                handle.write(leaf + b"\n")
                entries += 1
        partial.replace(directory / "entries.jsonl")
    for checkpoint in checkpoints:
        write_atomically(
            directory / "checkpoints" / f"{checkpoint.size}.checkpoint", checkpoint.note.encode("utf-8")
        )
    write_atomically(directory / "trusted-keys.txt", f"{ledger.signer.vkey}\n".encode())
    source = Path(verifier.__file__)
    shutil.copyfile(source, directory / "ledger_verify.py")
    newest = checkpoints[-1].size if checkpoints else None
    readme = README.format(
        verifier_sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
        origin=ledger.origin,
        entries=entries,
        newest=newest,
    )
    write_atomically(directory / "README-verify.txt", readme.encode("utf-8"))
    return ExportResult(directory, entries, len(checkpoints), newest, audited)


def tlog_proof(ledger: Ledger, seq: int) -> str:
    """A c2sp.org/tlog-proof@v1 text for entry ``seq`` against the newest checkpoint covering it."""
    checkpoint = ledger.checkpoint_covering(seq) or ledger.checkpoint(full_audit=False)
    if checkpoint.size <= seq:
        raise LedgerError(f"the ledger has no entry {seq}")
    proof = ledger.inclusion_proof(seq, checkpoint.size)
    lines = [verifier.TLOG_PROOF_HEADER, f"index {seq}"]
    lines += [base64.b64encode(h).decode() for h in proof]
    return "\n".join(lines) + "\n\n" + checkpoint.note


def consistency_file(ledger: Ledger, old_size: int, new_size: int | None = None) -> str:
    """A ledger-consistency@v1 text between two signed checkpoints."""
    by_size = {c.size: c for c in ledger.checkpoints()}
    new_size = max(by_size) if new_size is None and by_size else new_size
    if old_size not in by_size or new_size not in by_size:
        raise LedgerError(
            f"no signed checkpoints at sizes {old_size} and {new_size}; signed sizes are {sorted(by_size)}"
        )
    proof = ledger.consistency_proof(old_size, new_size) if old_size != new_size else []
    lines = [verifier.CONSISTENCY_HEADER, f"old {old_size}", f"new {new_size}"]
    lines += [base64.b64encode(h).decode() for h in proof]
    return "\n".join(lines) + "\n\n" + by_size[old_size].note + "\n" + by_size[new_size].note
