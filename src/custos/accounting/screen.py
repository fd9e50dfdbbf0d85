"""The 6103(i)(6) screen: taxpayers who must never be disclosed under (i)(2) (R25).

A confidential informant or a taxpayer under an open tax investigation is kept
on a list of keyed hashes (HMAC-SHA256 with an installation secret), so the list
itself reveals no TIN, and a stolen list cannot be checked against guessed TINs
without the key.  A hit blocks the record with ``BLOCKED_6103I6`` and no reason.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy import Connection, func, insert, select

from custos.accounting.tables import screen_flag
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import LedgerTransaction
from custos.policy.store import POLICY_VERSION

SCREEN_KINDS = ("confidential_informant", "tax_investigation")
KEY_BYTES = 32


def screen_key(path: Path, connection: Connection) -> bytes:
    """The installation's screen key, created (mode 0600) on first use.

    Only while the list is empty: a new key would match none of the listed
    commitments, so a missing key with a non-empty list fails closed.
    """
    if not path.exists():
        listed = connection.execute(select(func.count()).select_from(screen_flag)).scalar_one()
        if listed:
            raise PolicyError(
                f"the (i)(6) screen lists {listed} taxpayers but its key {path} is missing; restore the "
                "key from backup (every host needs the same file). custos decides nothing without it (R25)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise PolicyError(f"{path}: a screen key is {KEY_BYTES} bytes; this file has {len(key)}")
    return key


def tin_commitment(key: bytes, tin: str) -> str:
    """The keyed hash under which a TIN is listed."""
    return "hmac-sha256:" + hmac.new(key, tin.strip().encode("ascii"), hashlib.sha256).hexdigest()


def add_to_screen(tx: LedgerTransaction, key: bytes, tin: str, kind: str, actor: Actor) -> None:
    """List a taxpayer; the ledger records the listing by commitment only."""
    if kind not in SCREEN_KINDS:
        raise PolicyError(f"screen kind must be one of {', '.join(SCREEN_KINDS)}")
    if not (tin.isdigit() and len(tin) == 9):
        raise PolicyError("a TIN is 9 digits")
    commitment = tin_commitment(key, tin)
    tx.connection.execute(
        insert(screen_flag).values(
            tin_commitment=commitment, kind=kind, added_at=format_timestamp(tx.ledger.clock.now()),
            added_by=actor.id,
        )
    )  # fmt: skip
    tx.append(
        AuditEvent(
            EventType.POLICY_CHANGED, actor, "screen.add", Outcome.SUCCESS,
            object=ObjectRef("screen_flag", commitment[12:28], commitment),
            authz=Authorization(POLICY_VERSION, "R25", "allow"), details={"kind": kind},
        )
    )  # fmt: skip


def screened(connection: Connection, key: bytes, tins: list[str]) -> set[str]:
    """Which of these TINs are on the screen list."""
    if not tins:
        return set()
    by_commitment = {tin_commitment(key, tin): tin for tin in tins}
    found = connection.execute(
        select(screen_flag.c.tin_commitment).where(screen_flag.c.tin_commitment.in_(list(by_commitment)))
    ).scalars()
    return {by_commitment[commitment] for commitment in found}
