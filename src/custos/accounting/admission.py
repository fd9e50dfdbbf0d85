"""Admitting a submission: who signed it, under which agreement, and is it the file they signed.

Checked in this order, each failure answered with one ledger event and no
batch (legal-requirements.md R1, R3, R4, R8; ledger-and-security.md section 2):

1. the agreement version the envelope names exists (its signer registry is needed to verify);
2. the signer is one of its permitted signers (R1: ``REJ_REQUESTER_NOT_AUTHORIZED``);
3. the signature verifies over the envelope, the file is the one signed, and the
   envelope is neither stale nor from the future (R3: ``REJ_UNSIGNED`` and friends);
4. the agreement version is active, in its term and not overdue for review (R4);
5. the nonce has not been seen (``REJ_REPLAY``); it is consumed even when a later check fails;
6. the file is readable with the required columns, and no larger than the agreement allows (R8).

Nothing the signer wrote is trusted before step 3.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Connection, insert, select

from custos.accounting.tables import envelope_nonce
from custos.accounting.transport import SignedRequest, is_replay, record_replay
from custos.digests import file_digest
from custos.errors import IntakeError, StorageError
from custos.intake.envelope import Envelope, EnvelopeError, verify_envelope
from custos.intake.parse import BatchFile, BatchFileError, count_rows, open_batch
from custos.ledger.events import Actor, ActorKind, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger
from custos.policy.agreement import REQUIRED_ELEMENTS, AgreementSpec, Signer, public_key
from custos.policy.store import POLICY_VERSION, AgreementStateError, active_agreement, get_agreement

RULE_OF_CODE = {
    "REJ_AGREEMENT_UNKNOWN": "R4", "REJ_REQUESTER_NOT_AUTHORIZED": "R1", "REJ_UNSIGNED": "R3",
    "REJ_BATCH_DIGEST_MISMATCH": "R3", "REJ_ENVELOPE_STALE": "R3", "REJ_ENVELOPE_FROM_FUTURE": "R3",
    "REJ_ENVELOPE_MALFORMED": "R3", "REJ_AGREEMENT_INACTIVE": "R4", "REJ_REPLAY": "R3",
    "REJ_FILE_UNUSABLE": "R63", "REJ_BATCH_TOO_LARGE": "R8",
}  # fmt: skip


class SubmissionRejected(IntakeError):
    """The whole submission was refused; ``code`` says why and ``seq`` is its ledger entry."""

    def __init__(self, message: str, code: str, seq: int) -> None:
        super().__init__(message)
        self.code = code
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Admitted:
    """A submission that passed every whole-batch check."""

    envelope: Envelope
    agreement: AgreementSpec
    signer: Signer
    batch_file: BatchFile
    record_count: int


def official(envelope: Envelope, agency: str | None = None, keyid: str | None = None) -> Actor:
    """The requesting official an envelope names (as claimed until the signature is checked)."""
    return Actor(ActorKind.OFFICIAL, envelope.signer, agency, keyid)


def reject(
    ledger: Ledger,
    envelope: Envelope,
    code: str,
    message: str,
    *,
    consume: bool,
    transport: SignedRequest | None = None,
) -> NoReturn:
    """Write the one ledger event of a refused submission, then raise.

    A submission that came over the API carries its HTTP signature into the event and
    consumes its request nonce in the same transaction.
    """
    event_type = EventType.REQUEST_REPLAY_DETECTED if code == "REJ_REPLAY" else EventType.REQUEST_REJECTED
    try:
        with ledger.transaction() as tx:
            if consume:
                consume_nonce(tx.connection, envelope, ledger)
            if transport is not None:
                transport.consume(tx)
            seq = tx.append(
                AuditEvent(
                    event_type, transport.actor if transport else official(envelope), "submit_batch",
                    Outcome.DENIED, object=ObjectRef("envelope", envelope.nonce[:24]),
                    channel=transport.channel if transport else None, reason_code=code,
                    authz=Authorization(POLICY_VERSION, RULE_OF_CODE.get(code, "R3"), "deny"),
                    request_sig=transport.evidence if transport else None,
                    client_created=envelope.created,
                    details={"agreement_id": envelope.agreement_id,
                             "agreement_version": envelope.agreement_version,
                             "batch_digest": envelope.batch_digest, "detail": message[:200]},
                )
            ).seq  # fmt: skip
    except StorageError as exc:
        if transport is None or not is_replay(exc):
            raise
        seq = record_replay(ledger, transport, "submit_batch")
        raise SubmissionRejected("this request's nonce was already used", "REJ_REPLAY", seq) from exc
    raise SubmissionRejected(message, code, seq)


def consume_nonce(connection: Connection, envelope: Envelope, ledger: Ledger) -> None:
    """Record the envelope's nonce; a second use violates the primary key (replay)."""
    connection.execute(
        insert(envelope_nonce).values(
            nonce=envelope.nonce, signer=envelope.signer, agreement_id=envelope.agreement_id,
            seen_at=format_timestamp(ledger.clock.now()),
        )
    )  # fmt: skip


def admit(
    ledger: Ledger, batch_path: Path, envelope: Envelope, transport: SignedRequest | None = None
) -> Admitted:
    """Run the whole-batch checks; return the admitted submission or raise :class:`SubmissionRejected`.

    ``transport`` is the verified HTTP request that carried the submission.  Its signer must be
    the envelope's.  When its signature covers the records themselves (a lookup), that signature
    is the written request and there is no separate envelope signature to check.
    """
    now = ledger.clock.now()

    def refuse(code: str, message: str, *, consume: bool = False) -> NoReturn:
        reject(ledger, envelope, code, message, consume=consume, transport=transport)

    with ledger.database.read() as connection:
        try:
            stored = get_agreement(connection, envelope.agreement_id, envelope.agreement_version)
        except AgreementStateError as exc:
            stored = None
            unknown = str(exc)
        seen = connection.execute(
            select(envelope_nonce.c.nonce).where(envelope_nonce.c.nonce == envelope.nonce)
        ).first()
        active, why_inactive = active_agreement(
            connection, envelope.agreement_id, envelope.agreement_version, now.date()
        )
    if stored is None:
        refuse("REJ_AGREEMENT_INACTIVE", unknown)
    signer = stored.spec.signer(envelope.signer)
    if signer is None:
        refuse(
            "REJ_REQUESTER_NOT_AUTHORIZED",
            f"{envelope.signer} is not a permitted signer of agreement {envelope.agreement_id}",
        )
    if transport is not None and (transport.signer, transport.agreement_id) != (
        envelope.signer,
        envelope.agreement_id,
    ):
        refuse("REJ_REQUESTER_NOT_AUTHORIZED",
               f"the request is signed by {transport.keyid}, the envelope by "
               f"{envelope.agreement_id}/{envelope.signer}")  # fmt: skip
    try:
        if transport is None or not transport.body_signed:
            verify_envelope(
                envelope, public_key(signer.public_key), batch_digest=file_digest(batch_path), now=now,
                max_age=dt.timedelta(hours=stored.spec.limits.envelope_max_age_hours),
            )  # fmt: skip
    except EnvelopeError as exc:
        refuse(exc.code, str(exc))
    except OSError as exc:
        refuse("REJ_FILE_UNUSABLE", f"{batch_path.name}: {exc.strerror}")
    if active is None:
        refuse("REJ_AGREEMENT_INACTIVE", why_inactive)
    if seen is not None:
        refuse("REJ_REPLAY", "this envelope's nonce was already used")
    try:
        batch_file = open_batch(batch_path, required=REQUIRED_ELEMENTS, file_format=envelope.batch_format)
        count = count_rows(batch_file)
    except BatchFileError as exc:
        refuse("REJ_FILE_UNUSABLE", str(exc), consume=True)
    if batch_file.digest != envelope.batch_digest:  # the file changed after its signature was checked
        refuse("REJ_BATCH_DIGEST_MISMATCH", "the batch file changed during submission", consume=True)
    interactive = transport is not None and transport.body_signed
    limit = active.limits.max_interactive_records if interactive else active.limits.max_batch_records
    if count > limit:
        refuse("REJ_BATCH_TOO_LARGE",
               f"{count} records; the agreement allows {limit} per {'lookup' if interactive else 'batch'}",
               consume=True)  # fmt: skip
    return Admitted(envelope, active, signer, batch_file, count)
