"""Detached signed envelopes: the written, signed request of R3 for one batch file.

A requesting official signs a small JSON document naming the agreement, the signer, the
signing time, a random nonce and the SHA-256 digest of the batch file.  The signature covers
the RFC 8785 bytes of every field but itself, so it does not depend on how the file is laid
out.  The algorithm is never taken from the envelope: the signer's registered key dictates it,
and an ``alg`` that disagrees is refused (RFC 8725 §2.1).  ECDSA P-256 is accepted beside
Ed25519 so officials' keys can move onto PIV cards or HSMs (ledger-and-security.md §2.2).

Replay: :func:`verify_envelope` bounds an envelope's age; the caller records
``(agreement_id, signer, nonce)`` under a unique constraint in the transaction of the ledger
append, and may forget nonces older than ``max_age + max_clock_skew``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

import rfc8785
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from custos.errors import IntakeError

ENVELOPE_VERSION = "custos-envelope/1"
REJ_UNSIGNED = "REJ_UNSIGNED"
REJ_BATCH_DIGEST_MISMATCH = "REJ_BATCH_DIGEST_MISMATCH"
REJ_ENVELOPE_STALE = "REJ_ENVELOPE_STALE"
REJ_ENVELOPE_FROM_FUTURE = "REJ_ENVELOPE_FROM_FUTURE"
REJ_ENVELOPE_MALFORMED = "REJ_ENVELOPE_MALFORMED"
ALG_ED25519 = "ed25519"
ALG_ECDSA_P256 = "ecdsa-p256-sha256"
BATCH_FORMATS = ("csv", "parquet", "jsonl")

PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

# The same patterns as AgreementSpec.id and Signer.id: an envelope cannot name what no agreement could.
_AGREEMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
_SIGNER_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
_CREATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")  # strptime alone would accept "1" for "01"
_CREATED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_NONCE = re.compile(r"[A-Za-z0-9_-]{22,88}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_MAX_JSON_INT = 2**53 - 1  # RFC 8785 refuses larger integers, so nothing larger could be signed
_MAX_ENVELOPE_BYTES = 64 * 1024  # a real envelope is under 1 KiB; refuse to parse anything huge


class EnvelopeError(IntakeError):
    """The envelope is malformed or does not authorize the batch; ``code`` is the rejection code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    def diagnostics(self) -> str:
        """The message with its rejection code, which the requester's resubmission must address."""
        return f"{self} ({self.code})"


def _malformed(key: str, expected: str) -> EnvelopeError:
    return EnvelopeError(f"envelope key {key!r}: expected {expected}", REJ_ENVELOPE_MALFORMED)


def _parse_time(value: str) -> datetime | None:
    if not _CREATED.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, _CREATED_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13
        return None


def canonical_nonce(value: str) -> bool:
    """Base64url without padding of >= 16 bytes, in its one canonical spelling (zero spare bits)."""
    if not _NONCE.fullmatch(value) or len(value) % 4 == 1:
        return False
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return len(raw) >= 16 and base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == value


def _count(low: int) -> Callable[[Any], bool]:
    return lambda value: not isinstance(value, bool) and low <= value <= _MAX_JSON_INT


# Per key: the JSON type, the format check and what is expected; one table for files and constructors.
_RULES: dict[str, tuple[type, Callable[[Any], object], str]] = {
    "agreement_id": (str, _AGREEMENT_ID.fullmatch, f"an agreement id matching {_AGREEMENT_ID.pattern}"),
    "agreement_version": (int, _count(1), "an integer >= 1"),
    "signer": (str, _SIGNER_ID.fullmatch, f"a signer id matching {_SIGNER_ID.pattern}"),
    "created": (str, _parse_time, "RFC 3339 UTC time to the second, e.g. 2026-11-24T04:50:00Z"),
    "nonce": (str, canonical_nonce, "base64url without padding of at least 16 bytes (22..88 characters)"),
    "batch_digest": (str, _DIGEST.fullmatch, "sha256: followed by 64 lowercase hex digits"),
    "batch_format": (str, BATCH_FORMATS.__contains__, f"one of {', '.join(BATCH_FORMATS)}"),
    "record_count": (int, _count(0), "an integer >= 0"),
    "alg": (str, (ALG_ED25519, ALG_ECDSA_P256).__contains__, f"{ALG_ED25519} or {ALG_ECDSA_P256}"),
    "signature": (str, lambda _: True, "standard base64"),  # checked by verify_envelope: REJ_UNSIGNED
}


@dataclass(frozen=True, slots=True)
class Envelope:
    """One signed request for one batch file; construction refuses malformed values.

    Only ``signature`` is not checked here: an absent or garbled signature is an unsigned
    request (``REJ_UNSIGNED`` from :func:`verify_envelope`), not a malformed envelope.
    """

    agreement_id: str
    agreement_version: int
    signer: str
    created: str
    nonce: str
    batch_digest: str
    batch_format: str
    record_count: int
    alg: str
    signature: str

    def __post_init__(self) -> None:
        for key, (_, check, expected) in _RULES.items():
            if not check(getattr(self, key)):
                raise _malformed(key, expected)

    @property
    def created_at(self) -> datetime:
        """``created`` as an aware UTC datetime."""
        return datetime.strptime(self.created, _CREATED_FORMAT).replace(tzinfo=UTC)

    def signing_bytes(self) -> bytes:
        """The RFC 8785 bytes the signature covers: the version and every field but the signature."""
        fields = asdict(self)
        del fields["signature"]
        return rfc8785.dumps({"v": ENVELOPE_VERSION, **fields})

    def to_json(self) -> str:
        """The envelope file's text: the version, every field and the signature."""
        return json.dumps({"v": ENVELOPE_VERSION, **asdict(self)}, indent=2) + "\n"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse repeated keys, which different parsers resolve differently."""
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _malformed(key, "the key once, not repeated")
    return dict(pairs)


def parse_envelope(data: bytes | str) -> Envelope:
    """An envelope from its JSON text, refusing unknown, missing, repeated or mistyped keys."""
    if len(data) > _MAX_ENVELOPE_BYTES:
        raise EnvelopeError(f"envelope: larger than {_MAX_ENVELOPE_BYTES} bytes", REJ_ENVELOPE_MALFORMED)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        values = json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise EnvelopeError("envelope: not a UTF-8 JSON document", REJ_ENVELOPE_MALFORMED) from exc
    if not isinstance(values, dict):
        raise EnvelopeError("envelope: expected a JSON object", REJ_ENVELOPE_MALFORMED)
    for key in values:
        if key not in _RULES and key != "v":
            raise _malformed(key, f"no such key (the keys are v, {', '.join(_RULES)})")
    if values.pop("v", None) != ENVELOPE_VERSION:
        raise _malformed("v", f"the string {ENVELOPE_VERSION}")
    for key, (kind, _, _) in _RULES.items():
        if key not in values:
            raise _malformed(key, "the key to be present")
        if isinstance(values[key], bool) or not isinstance(values[key], kind):
            raise _malformed(key, "an integer" if kind is int else "a string")
    return Envelope(**values)


def read_envelope(path: Path) -> Envelope:
    """Read an envelope file; a missing file means the batch is unsigned."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_ENVELOPE_BYTES + 1)
    except FileNotFoundError as exc:
        raise EnvelopeError(f"{path}: no envelope file, so the batch is unsigned", REJ_UNSIGNED) from exc
    except OSError as exc:
        raise EnvelopeError(f"{path}: cannot read: {exc.strerror}", REJ_ENVELOPE_MALFORMED) from exc
    try:
        return parse_envelope(data)
    except EnvelopeError as exc:
        raise EnvelopeError(f"{path}: {exc}", exc.code) from exc


def write_envelope(path: Path, envelope: Envelope) -> None:
    """Write the envelope as the JSON text :func:`read_envelope` reads back unchanged."""
    path.write_text(envelope.to_json(), encoding="utf-8")


def _alg_of(key: object) -> str | None:
    """The envelope ``alg`` a key implies, or None for a key custos does not accept."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return ALG_ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ALG_ECDSA_P256 if isinstance(key.curve, ec.SECP256R1) else None
    return None


def generate_private_key(kind: str) -> PrivateKey:
    """A fresh signing key: ``"ed25519"`` or ``"p256"`` (ECDSA on NIST P-256)."""
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key kind {kind!r}: expected ed25519 or p256")


def write_private_key(path: Path, key: PrivateKey) -> None:
    """Write the key as unencrypted PKCS8 PEM to a new file that only its owner can read."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise IntakeError(f"{path} already exists; refusing to overwrite a key file") from exc
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # exactly 0600, whatever the umask
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def load_private_key(path: Path) -> PrivateKey:
    """Read an unencrypted PEM private key, refusing anything but Ed25519 and ECDSA P-256."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntakeError(f"cannot read the signing key {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # The library's message is not repeated: nothing derived from key material goes into logs.
        raise IntakeError(f"{path} is not an unencrypted PEM private key") from exc
    if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) and _alg_of(key):
        return key
    curve = f" on {key.curve.name}" if isinstance(key, ec.EllipticCurvePrivateKey) else ""
    raise IntakeError(f"{path} holds an {type(key).__name__}{curve}; expected Ed25519 or ECDSA P-256")


def public_key_pem(key: PrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM of the key's public half, as agreement files carry it."""
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(serialization.Encoding.PEM, spki).decode("ascii")


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).strftime(_CREATED_FORMAT)


def sign_envelope(
    key: PrivateKey,
    *,
    agreement_id: str,
    agreement_version: int,
    signer: str,
    batch_digest: str,
    batch_format: str,
    record_count: int,
    created: datetime | None = None,
    nonce: str | None = None,
) -> Envelope:
    """Sign a batch's envelope; ``created`` defaults to now, ``nonce`` to 32 fresh random bytes."""
    alg = _alg_of(key)
    if alg is None:
        raise ValueError("the signing key must be Ed25519 or ECDSA P-256")
    created_text = _utc_text(created or datetime.now(UTC))
    nonce_text = secrets.token_urlsafe(32) if nonce is None else nonce
    unsigned = Envelope(
        agreement_id, agreement_version, signer, created_text, nonce_text,
        batch_digest, batch_format, record_count, alg, signature="",
    )  # fmt: skip
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.sign(unsigned.signing_bytes())
    else:
        raw = key.sign(unsigned.signing_bytes(), ec.ECDSA(hashes.SHA256()))  # DER-encoded (r, s)
    return replace(unsigned, signature=base64.b64encode(raw).decode("ascii"))


def _check_signature(envelope: Envelope, public_key: PublicKey) -> None:
    """The signature verifies under the signer's key, by the algorithm that key dictates."""
    key_alg = _alg_of(public_key)
    if key_alg is None:
        raise EnvelopeError("the signer's registered key is not Ed25519 or ECDSA P-256", REJ_UNSIGNED)
    if envelope.alg != key_alg:
        message = f"envelope key 'alg': {envelope.alg} claimed, but the signer's registered key is {key_alg}"
        raise EnvelopeError(message, REJ_UNSIGNED)
    if not envelope.signature:
        raise EnvelopeError("envelope key 'signature': absent, so the request is unsigned", REJ_UNSIGNED)
    try:
        raw = base64.b64decode(envelope.signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError("envelope key 'signature': expected standard base64", REJ_UNSIGNED) from exc
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(raw, envelope.signing_bytes())
        else:
            public_key.verify(raw, envelope.signing_bytes(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        message = (
            f"envelope key 'signature': does not verify under signer {envelope.signer!r}'s {key_alg} key"
        )
        raise EnvelopeError(message, REJ_UNSIGNED) from exc


def verify_envelope(
    envelope: Envelope,
    public_key: PublicKey,
    *,
    batch_digest: str,
    now: datetime,
    max_age: timedelta,
    max_clock_skew: timedelta = timedelta(minutes=5),
) -> None:
    """Raise :class:`EnvelopeError` unless the envelope authorizes this batch file at ``now``.

    The signature is checked first, so neither the digest nor the time the signer wrote is
    believed before it is known to be the signer's.  ``created`` exactly ``max_age`` old, or
    exactly ``max_clock_skew`` ahead of ``now``, is accepted.
    """
    now_text = _utc_text(now)
    _check_signature(envelope, public_key)
    if envelope.batch_digest != batch_digest:
        message = f"signed {envelope.batch_digest}, but the batch file is {batch_digest}"
        raise EnvelopeError(f"envelope key 'batch_digest': {message}", REJ_BATCH_DIGEST_MISMATCH)
    created = f"envelope key 'created': {envelope.created} is"
    if envelope.created_at > now + max_clock_skew:
        message = f"{created} later than {now_text} plus the allowed clock skew of {max_clock_skew}"
        raise EnvelopeError(message, REJ_ENVELOPE_FROM_FUTURE)
    if now - envelope.created_at > max_age:
        raise EnvelopeError(f"{created} older than {max_age} at {now_text}", REJ_ENVELOPE_STALE)
