"""The officials' key registry: which key verifies whom, today, and withdrawing a key.

Keys come from the signer registry of an agreement's active version; a keyid is
``<agreement id>/<signer id>``.  A key stops working when the agreement is no
longer active or in its term, when its ``key_expires`` date has passed, when a
newer version drops the signer, or when it is revoked here.  Revocation is keyed
by the public key's fingerprint, so the same key stays revoked in every version
that names it, and it is a ledger event like every change to the registry
(ledger-and-security.md section 2.3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection, insert, select

from custos.accounting.tables import agreement_version, key_revocation
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import LedgerTransaction
from custos.policy.agreement import AgreementSpec, Signer, public_key
from custos.policy.store import POLICY_VERSION, active_agreement, get_agreement


class KeyUnusable(PolicyError):
    """A keyid does not name a key that may sign today; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class ActiveKey:
    """A signer whose key may sign today, under the agreement version that registers it."""

    agreement_id: str
    agreement_version: int
    signer: Signer


def key_fingerprint(pem: str) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo: the same key, however its PEM is wrapped."""
    der = public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def is_revoked(connection: Connection, pem: str) -> bool:
    """Whether this public key has been revoked."""
    fingerprint = key_fingerprint(pem)
    found = connection.execute(
        select(key_revocation.c.key_fingerprint).where(key_revocation.c.key_fingerprint == fingerprint)
    ).first()
    return found is not None


def active_key(connection: Connection, keyid: str, today: dt.date) -> ActiveKey:
    """The key ``keyid`` names, if it may sign today; else :class:`KeyUnusable`."""
    agreement_id, _, signer_id = keyid.partition("/")
    versions = connection.execute(
        select(agreement_version.c.version, agreement_version.c.status)
        .where(agreement_version.c.agreement_id == agreement_id)
        .order_by(agreement_version.c.version.desc())
    ).all()
    active = next((v.version for v in versions if v.status == "active"), None)
    spec, why = (None, "") if active is None else active_agreement(connection, agreement_id, active, today)
    signer = spec.signer(signer_id) if spec is not None else None
    if signer is not None and active is not None:
        if signer.key_expires is not None and today > signer.key_expires:
            raise KeyUnusable("AUTH_KEY_EXPIRED", f"the key of {keyid} expired on {signer.key_expires}")
        if is_revoked(connection, signer.public_key):
            raise KeyUnusable("AUTH_KEY_REVOKED", f"the key of {keyid} has been revoked")
        return ActiveKey(agreement_id, active, signer)
    # Not usable: say why, looking at every version only now (the common path stays cheap).
    if not any(get_agreement(connection, agreement_id, v.version).spec.signer(signer_id) for v in versions):
        raise KeyUnusable("AUTH_KEY_UNKNOWN", f"no agreement registers a key {keyid!r}")
    if active is None:
        raise KeyUnusable("AUTH_KEY_EXPIRED", f"agreement {agreement_id} has no active version")
    if spec is None:
        raise KeyUnusable("AUTH_KEY_EXPIRED", why)
    raise KeyUnusable("AUTH_KEY_REVOKED", f"{signer_id} is no longer a signer of {agreement_id}")


def revoke_key(tx: LedgerTransaction, agreement_id: str, signer_id: str, reason: str, actor: Actor) -> int:
    """Revoke the key a signer has in the agreement's newest version; returns the ledger seq."""
    if not reason.strip():
        raise PolicyError("a key revocation must give its reason")
    signer = get_agreement(tx.connection, agreement_id).spec.signer(signer_id)
    if signer is None:
        raise PolicyError(f"{signer_id} is not a signer of the newest version of {agreement_id}")
    fingerprint = key_fingerprint(signer.public_key)
    if is_revoked(tx.connection, signer.public_key):
        raise PolicyError(f"the key of {agreement_id}/{signer_id} is already revoked")
    seq = tx.append(
        AuditEvent(
            EventType.KEY_REVOKED, actor, "revoke_key", Outcome.SUCCESS,
            object=ObjectRef("key", f"{agreement_id}/{signer_id}"),
            authz=Authorization(POLICY_VERSION, "R1,R3", "allow"),
            details={"key_fingerprint": fingerprint, "reason": reason[:200]},
        )
    ).seq  # fmt: skip
    tx.connection.execute(
        insert(key_revocation).values(
            key_fingerprint=fingerprint, agreement_id=agreement_id, signer=signer_id, reason=reason,
            revoked_by=actor.id, revoked_at=format_timestamp(tx.ledger.clock.now()), ledger_seq=seq,
        )
    )  # fmt: skip
    return seq


def official_keys(connection: Connection) -> dict[str, list[str]]:
    """Every public key any agreement version ever registered, by keyid: the auditor's official-keys.json.

    An auditor re-verifies signatures made long ago (AU-10), under keys since rotated,
    expired, revoked or dropped, so every version counts, not only the active one; the
    keys of the time verified those signatures when they were made.  Each key is listed
    once, as canonical SubjectPublicKeyInfo PEM, so the same key wrapped differently in two
    versions is one key.
    """
    found: dict[str, set[str]] = {}
    for (spec_json,) in connection.execute(select(agreement_version.c.spec_json)):
        spec = AgreementSpec.model_validate(json.loads(spec_json))
        for signer in spec.signers:
            pem = public_key(signer.public_key).public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            found.setdefault(f"{spec.id}/{signer.id}", set()).add(pem.decode("ascii"))
    return {keyid: sorted(pems) for keyid, pems in sorted(found.items())}
