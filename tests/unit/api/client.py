"""A signing test client for the API: each request signed as an official of the demo agreement."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi.testclient import TestClient

from custos.api.client import sign_request
from custos.config import Settings
from custos.demo_setup import COMPONENT, DEMO_AGREEMENT, HEAD
from custos.intake.envelope import Envelope, PrivateKey, load_private_key

Mutator = Callable[[dict[str, str]], dict[str, str]]


class SignedClient:
    """Signs every request it sends, the way a requesting agency's system does."""

    def __init__(self, client: TestClient, settings: Settings, directory: Path) -> None:
        self.client = client
        self.settings = settings
        self.keys = {signer: load_private_key(directory / "demo" / "keys" / f"{signer}.pem")
                     for signer in (HEAD, COMPONENT)}  # fmt: skip

    def url(self, path: str) -> str:
        """The URL a client signs: the public base URL plus the path and query."""
        return self.settings.api_public_url + path

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        signer: str = HEAD,
        keyid: str | None = None,
        now: dt.datetime | None = None,
        nonce: str | None = None,
        extra: dict[str, str] | None = None,
        mutate: Mutator | None = None,
        sign_as: tuple[str, str] | None = None,  # (method, path) to sign instead of the ones sent
        sent_body: bytes | None = None,
    ) -> httpx.Response:
        """Sign (method, path, body) and send it; ``mutate`` may alter the signed headers before sending."""
        signed_method, signed_path = sign_as or (method, path)
        headers = sign_request(
            signed_method, self.url(signed_path), key=self.keys[signer], keyid=keyid or f"{DEMO_AGREEMENT}/{signer}",
            body=body, content_type=content_type, now=now, nonce=nonce,
        )  # fmt: skip
        headers.update(extra or {})
        if mutate is not None:
            headers = mutate(headers)
        return self.client.request(
            method, path, content=body if sent_body is None else sent_body, headers=headers
        )

    def lookup(self, records: list[dict[str, str]], *, version: int = 1, **options: Any) -> httpx.Response:
        """POST /v1/lookups."""
        payload = {"agreement_id": DEMO_AGREEMENT, "agreement_version": version, "records": records}
        return self.send("POST", "/v1/lookups", body=json.dumps(payload).encode(),
                         content_type="application/json", **options)  # fmt: skip

    def submit(self, path: Path, envelope: Envelope, **options: Any) -> httpx.Response:
        """POST /v1/batches with the file and its envelope."""
        header = base64.urlsafe_b64encode(envelope.to_json().encode()).rstrip(b"=").decode()
        extra = {"Custos-Envelope": header, **options.pop("extra", {})}
        return self.send("POST", "/v1/batches", body=path.read_bytes(), content_type="text/csv",
                         extra=extra, **options)  # fmt: skip

    def get(self, path: str, **options: Any) -> httpx.Response:
        """A signed GET."""
        return self.send("GET", path, **options)

    def wait_for(self, batch_id: str, *, timeout: float = 60.0) -> dict[str, Any]:
        """Poll a batch until it leaves ``validating``."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.get(f"/v1/batches/{batch_id}").json()
            if status["status"] != "validating" or time.monotonic() > deadline:
                return dict(status)
            time.sleep(0.05)


def content_digest(body: bytes) -> str:
    """RFC 9530 Content-Digest of ``body`` (SHA-256)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def craft_signature(
    key: PrivateKey,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    covered: list[str],
    params: list[tuple[str, str | int]],
    label: str = "sig1",
) -> dict[str, str]:
    """Sign with a hand-built Signature-Input, for signatures the library would refuse to make."""
    lowered = {name.lower(): value for name, value in headers.items()}
    derived = {"@method": method, "@target-uri": url}
    lines = [f'"{name}": {derived[name] if name in derived else lowered[name]}' for name in covered]
    inner = "(" + " ".join(f'"{name}"' for name in covered) + ")"
    inner += "".join(
        f";{name}={value}" if isinstance(value, int) else f';{name}="{value}"' for name, value in params
    )
    lines.append(f'"@signature-params": {inner}')
    base = "\n".join(lines).encode()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(base, ec.ECDSA(hashes.SHA256())))
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        raw = key.sign(base)
    return {
        **headers,
        "Signature-Input": f"{label}={inner}",
        "Signature": f"{label}=:{base64.b64encode(raw).decode()}:",
    }
