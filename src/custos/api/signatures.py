"""RFC 9421 HTTP Message Signatures: every API request is signed by an official (AU-10).

The profile (ledger-and-security.md section 2.3), checked in this order so each
refusal has one precise code:

* one signature tagged ``custos-request-v1`` (``AUTH_TAG_MISSING``), with ``keyid``,
  ``alg``, ``created``, ``expires`` and ``nonce`` (``AUTH_PARAMETER_MISSING``);
* ``keyid`` is ``<agreement id>/<signer id>`` and resolves in the signer registry of that
  agreement's active version (``AUTH_KEY_UNKNOWN``, ``AUTH_KEY_EXPIRED``, ``AUTH_KEY_REVOKED``);
* ``alg`` is the registered key's algorithm, never chosen by the request (``AUTH_ALG_MISMATCH``);
* covered: ``@method``, ``@target-uri``, ``content-digest`` and, with a body,
  ``content-type`` (``AUTH_COVERAGE``).  A request without a body still carries the
  digest of the empty body, so "no body" is signed too;
* ``created`` at most 5 s ahead and at most 300 s old, ``expires`` not past and at most
  300 s after ``created`` (``AUTH_CREATED_IN_FUTURE``, ``AUTH_STALE``, ``AUTH_EXPIRED``);
* ``nonce`` base64url of at least 128 bits (``AUTH_NONCE_WEAK``);
* the signature verifies over the signature base (``AUTH_BAD_SIGNATURE``);
* ``Content-Digest`` carries the SHA-256 of the body received (``AUTH_DIGEST_MISMATCH``).

``@target-uri`` is rebuilt from the configured public base URL and the request's raw
path and query, never from ``Host`` or ``X-Forwarded-*``, which a client controls.
Replay (a nonce seen before) is checked by the caller against the database.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from custos.intake.envelope import ALG_ECDSA_P256, ALG_ED25519, PublicKey, canonical_nonce
from custos.ledger.events import RequestSignature

SERVICE_TAG = "custos-request-v1"
MAX_AGE = dt.timedelta(seconds=300)
CLOCK_SKEW = dt.timedelta(seconds=5)
COVERED_ALWAYS = ("@method", "@target-uri", "content-digest")
COVERED_WITH_BODY = (*COVERED_ALWAYS, "content-type")
REQUIRED_PARAMETERS = ("keyid", "alg", "created", "expires", "nonce")
SIGNATURE_PARAMS = '"@signature-params"'
_MAX_FIELD = 4096  # a real Signature-Input is under 400 bytes


class AuthFailure(Exception):
    """The request is not authenticated; ``code`` says which check failed."""

    def __init__(self, code: str, message: str, keyid: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.keyid = keyid


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    """A signer's public key as the active agreement registers it."""

    keyid: str
    agreement_id: str
    signer: str
    agency: str
    public_key: PublicKey

    @property
    def alg(self) -> str:
        """The RFC 9421 algorithm name this key verifies."""
        return ALG_ED25519 if isinstance(self.public_key, ed25519.Ed25519PublicKey) else ALG_ECDSA_P256


class KeyRegistry:
    """Resolves a keyid to the key that verifies it, or raises :class:`AuthFailure`."""

    def resolve(self, keyid: str) -> RegisteredKey:  # pragma: no cover - interface
        """The registered key for ``keyid``."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """What verification needs of an HTTP request, independent of the web framework."""

    method: str
    target_uri: str  # rebuilt from the public base URL, see the module docstring
    headers: Sequence[tuple[str, str]]  # every field line, in order, repeated names kept
    body_sha256: bytes
    has_body: bool

    def header(self, name: str) -> str | None:
        """All lines of one field combined (RFC 9110 section 5.3), or None when absent."""
        values = [value.strip() for key, value in self.headers if key.lower() == name]
        return ", ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """A signature that verified, with everything an auditor needs to re-verify it offline."""

    key: RegisteredKey
    nonce: str
    created: int
    expires: int
    evidence: RequestSignature


class _Headers:
    """The header view the library reads: ``items()`` over every field line."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def items(self) -> list[tuple[str, str]]:
        return self._pairs


@dataclass(frozen=True, slots=True)
class _Message:
    method: str
    url: str
    headers: _Headers


class _FixedKey(HTTPSignatureKeyResolver):
    def __init__(self, keyid: str, key: PublicKey) -> None:
        self._keyid = keyid
        self._key = key

    def resolve_public_key(self, key_id: str) -> PublicKey:
        if key_id != self._keyid:
            raise InvalidSignature("keyid changed during verification")
        return self._key


class _Verifier(HTTPMessageVerifier):
    """The library's verifier; time checks are done before it runs, against custos's clock."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def _parse_dictionary(value: str, name: str) -> dict[str, Any]:
    if len(value) > _MAX_FIELD:
        raise AuthFailure("AUTH_MALFORMED", f"{name} is longer than {_MAX_FIELD} characters")
    try:
        parsed: Any = http_sf.parse(value.encode("latin-1"), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:
        raise AuthFailure("AUTH_MALFORMED", f"{name} is not a structured-field dictionary: {exc}") from exc
    return dict(parsed)


def _select(request: IncomingRequest) -> tuple[str, list[str], dict[str, Any]]:
    """The label, covered components and parameters of the one signature tagged for custos."""
    signature_input = request.header("signature-input")
    if signature_input is None or request.header("signature") is None:
        raise AuthFailure("AUTH_MISSING_SIGNATURE", "the request carries no Signature-Input and Signature")
    members = _parse_dictionary(signature_input, "Signature-Input")
    tagged = [
        (label, member)
        for label, member in members.items()
        if isinstance(member[0], list) and member[1].get("tag") == SERVICE_TAG
    ]
    if len(tagged) != 1:
        raise AuthFailure(
            "AUTH_TAG_MISSING", f'exactly one signature must carry tag="{SERVICE_TAG}"; found {len(tagged)}'
        )
    label, (items, parameters) = tagged[0]
    covered = [item[0] for item in items if isinstance(item[0], str) and not item[1]]
    return label, covered, dict(parameters)


def _check_parameters(parameters: dict[str, Any], now: dt.datetime) -> tuple[int, int, str]:
    missing = [name for name in REQUIRED_PARAMETERS if name not in parameters]
    if missing:
        raise AuthFailure("AUTH_PARAMETER_MISSING", f"the signature lacks {', '.join(missing)}")
    created, expires, nonce = parameters["created"], parameters["expires"], parameters["nonce"]
    if type(created) is not int or type(expires) is not int:
        raise AuthFailure("AUTH_MALFORMED", "created and expires must be integers")
    now_s = now.timestamp()
    if created > now_s + CLOCK_SKEW.total_seconds():
        raise AuthFailure("AUTH_CREATED_IN_FUTURE", "the signature was created in the future")
    if created + MAX_AGE.total_seconds() < now_s - CLOCK_SKEW.total_seconds():
        raise AuthFailure("AUTH_STALE", f"the signature is older than {int(MAX_AGE.total_seconds())} s")
    if expires < now_s - CLOCK_SKEW.total_seconds():
        raise AuthFailure("AUTH_EXPIRED", "the signature has expired")
    if expires - created > MAX_AGE.total_seconds() or expires < created:
        raise AuthFailure("AUTH_EXPIRED", "expires must be within 300 s after created")
    if not isinstance(nonce, str) or not canonical_nonce(nonce):
        raise AuthFailure("AUTH_NONCE_WEAK", "nonce must be base64url of at least 128 random bits")
    return created, expires, nonce


def _check_digest(request: IncomingRequest) -> str:
    value = request.header("content-digest")
    if value is None:
        raise AuthFailure("AUTH_DIGEST_MISMATCH", "the request has no Content-Digest")
    members = _parse_dictionary(value, "Content-Digest")
    digest = members.get("sha-256", (None,))[0]
    if digest != request.body_sha256:
        raise AuthFailure("AUTH_DIGEST_MISMATCH", "Content-Digest sha-256 is not the digest of the body")
    return value


def _algorithm(key: PublicKey) -> type[algorithms.HTTPSignatureAlgorithm]:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return algorithms.ECDSA_P256_SHA256
    return algorithms.ED25519


def verify_request(request: IncomingRequest, registry: KeyRegistry, now: dt.datetime) -> VerifiedSignature:
    """Verify the official's signature on ``request``, or raise :class:`AuthFailure`."""
    label, covered, parameters = _select(request)
    keyid = parameters.get("keyid")
    if not isinstance(keyid, str):
        raise AuthFailure("AUTH_PARAMETER_MISSING", "the signature lacks keyid")
    keyid = keyid[:140]
    try:
        key = registry.resolve(keyid)
        if parameters.get("alg") != key.alg:
            claimed = parameters.get("alg")
            raise AuthFailure("AUTH_ALG_MISMATCH", f"key {keyid} verifies {key.alg}, not {claimed}")
        created, expires, nonce = _check_parameters(parameters, now)
        required = COVERED_WITH_BODY if request.has_body else COVERED_ALWAYS
        uncovered = [name for name in required if name not in covered]
        if uncovered:
            raise AuthFailure("AUTH_COVERAGE", f"the signature does not cover {', '.join(uncovered)}")
        message = _Message(request.method.upper(), request.target_uri, _Headers(request.headers))
        verifier = _Verifier(
            signature_algorithm=_algorithm(key.public_key), key_resolver=_FixedKey(keyid, key.public_key)
        )
        try:
            result = verifier.verify(message, max_age=None, expect_tag=SERVICE_TAG, expect_label=label)[0]
        except (InvalidSignature, HTTPMessageSignaturesException) as exc:
            detail = str(exc) or "it does not match the signature base"
            raise AuthFailure("AUTH_BAD_SIGNATURE", f"the signature does not verify: {detail}") from exc
        digest = _check_digest(request)
    except AuthFailure as failure:
        failure.keyid = keyid
        raise
    components = result.covered_components
    base = "\n".join(f"{name}: {value}" for name, value in components.items())
    signature_value = _parse_dictionary(request.header("signature") or "", "Signature")[label][0]
    evidence = RequestSignature(
        signature_input=f"{label}={components[SIGNATURE_PARAMS]}",
        signature=f"{label}=:{base64.b64encode(signature_value).decode()}:",
        content_digest=digest,
        alg=key.alg,
        signature_base=base,
    )
    return VerifiedSignature(key, nonce, created, expires, evidence)
