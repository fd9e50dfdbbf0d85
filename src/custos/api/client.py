"""Signing requests to the custos API: what a requesting agency's system does before each call.

:func:`sign_request` returns the headers that make one request acceptable:
``Content-Digest`` (RFC 9530, SHA-256 of the exact body bytes, also of an empty
body), ``Content-Type`` when there is a body, and the RFC 9421 ``Signature-Input``
and ``Signature`` of the profile in :mod:`custos.api.signatures`.  Send the body
bytes exactly as signed and the URL exactly as signed (the API's public base URL
plus path and query).  Each call draws a fresh 128-bit nonce: a signed request can
be sent once.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict

from custos.api.signatures import COVERED_ALWAYS, COVERED_WITH_BODY, MAX_AGE, SERVICE_TAG
from custos.intake.envelope import PrivateKey

LABEL = "sig1"


def new_nonce() -> str:
    """128 random bits, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


@dataclass
class _Message:
    method: str
    url: str
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key: PrivateKey) -> None:
        self._key = key

    def resolve_private_key(self, key_id: str) -> PrivateKey:
        return self._key


def sign_request(
    method: str,
    url: str,
    *,
    key: PrivateKey,
    keyid: str,
    body: bytes = b"",
    content_type: str | None = None,
    now: dt.datetime | None = None,
    nonce: str | None = None,
    lifetime: dt.timedelta = MAX_AGE,
) -> dict[str, str]:
    """The headers that sign one request as ``keyid`` (``<agreement id>/<signer id>``)."""
    created = now or dt.datetime.now(dt.UTC)
    message = _Message(method.upper(), url)
    if content_type is not None:
        message.headers["Content-Type"] = content_type
    algorithm = (
        algorithms.ECDSA_P256_SHA256 if isinstance(key, ec.EllipticCurvePrivateKey) else algorithms.ED25519
    )
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=_OneKey(key))
    signer.sign(
        message,
        key_id=keyid,
        created=created,
        expires=created + lifetime,
        nonce=nonce or new_nonce(),
        label=LABEL,
        tag=SERVICE_TAG,
        body=body,
        covered_component_ids=COVERED_WITH_BODY if content_type is not None else COVERED_ALWAYS,
    )
    return dict(message.headers.items())
