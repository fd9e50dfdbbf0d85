"""Signed batch envelopes: signing, verification, strict reading and key files (R3)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import stat
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.errors import IntakeError
from custos.intake.envelope import (
    ENVELOPE_VERSION,
    Envelope,
    EnvelopeError,
    PrivateKey,
    generate_private_key,
    load_private_key,
    parse_envelope,
    public_key_pem,
    read_envelope,
    sign_envelope,
    verify_envelope,
    write_envelope,
    write_private_key,
)
from custos.policy.agreement import public_key

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MAX_AGE = timedelta(hours=72)
DIGEST = "sha256:" + hashlib.sha256(b"record_id,given_name\n1,Ada\n").hexdigest()
OTHER_DIGEST = "sha256:" + hashlib.sha256(b"record_id,given_name\n1,Eve\n").hexdigest()
KINDS = ("ed25519", "p256")
FIELDS = ("agreement_id", "agreement_version", "signer", "created", "nonce", "batch_digest",
          "batch_format", "record_count", "alg", "signature")  # fmt: skip
SIGNED_STRING_FIELDS = ("agreement_id", "signer", "created", "nonce", "batch_digest")
B64URL = string.ascii_letters + string.digits + "-_"
# Characters each field may hold, so a one-byte change can keep the envelope well-formed.
ALPHABETS = {
    "agreement_id": string.ascii_letters + string.digits + "._-",
    "signer": string.ascii_lowercase + string.digits + "-",
    "created": string.digits,
    "nonce": B64URL,
    "batch_digest": "0123456789abcdef",
}


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    """One signing key of each accepted kind."""
    return {kind: generate_private_key(kind) for kind in KINDS}


def sign(key: PrivateKey, **overrides: Any) -> Envelope:
    """An envelope for DIGEST, created at NOW unless overridden."""
    values: dict[str, Any] = {
        "agreement_id": "DHS-ICE-2026", "agreement_version": 3, "signer": "ice-director",
        "batch_digest": DIGEST, "batch_format": "csv", "record_count": 1000, "created": NOW,
    }  # fmt: skip
    return sign_envelope(key, **(values | overrides))


def verify(envelope: Envelope, key: PrivateKey, **overrides: Any) -> None:
    """Verify against the public half of ``key`` with the test defaults."""
    values: dict[str, Any] = {"batch_digest": DIGEST, "now": NOW, "max_age": MAX_AGE}
    verify_envelope(envelope, key.public_key(), **(values | overrides))


def rejection(envelope: Envelope, key: PrivateKey, **overrides: Any) -> EnvelopeError:
    """The error verification raises."""
    with pytest.raises(EnvelopeError) as caught:
        verify(envelope, key, **overrides)
    return caught.value


def with_value(envelope: Envelope, field: str, value: Any) -> Envelope:
    """The envelope with one field replaced (and validated again)."""
    changes: dict[str, Any] = {field: value}
    return dataclasses.replace(envelope, **changes)


def one_byte_changes(envelope: Envelope, field: str) -> list[Envelope]:
    """For each position of a signed field, the first one-byte change that keeps the envelope well-formed."""
    value = getattr(envelope, field)
    if isinstance(value, int):
        return [with_value(envelope, field, value ^ (1 << bit)) for bit in range(16)]
    if field == "batch_format":  # no one-byte change of "csv" is a format: use the other formats
        return [dataclasses.replace(envelope, batch_format=f) for f in ("parquet", "jsonl")]
    changed: list[Envelope] = []
    for index, original in enumerate(value):
        for candidate in ALPHABETS[field]:
            if candidate == original:
                continue
            try:
                changed.append(with_value(envelope, field, value[:index] + candidate + value[index + 1 :]))
                break
            except EnvelopeError:
                continue
    return changed


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """The envelope's file content as a dict."""
    values: dict[str, Any] = json.loads(envelope.to_json())
    return values


class TestRoundTrip:
    @pytest.mark.parametrize("kind", KINDS)
    def test_signed_envelope_verifies(self, keys: dict[str, PrivateKey], kind: str) -> None:
        """An envelope signed with an Ed25519 or P-256 key verifies under its public key."""
        envelope = sign(keys[kind])
        assert envelope.alg == {"ed25519": "ed25519", "p256": "ecdsa-p256-sha256"}[kind]
        verify(envelope, keys[kind])

    @pytest.mark.parametrize("kind", KINDS)
    def test_verifies_under_the_key_as_an_agreement_carries_it(
        self, keys: dict[str, PrivateKey], kind: str
    ) -> None:
        """The SubjectPublicKeyInfo PEM loads with the agreement's loader and verifies."""
        pem = public_key_pem(keys[kind])
        assert pem.startswith("-----BEGIN PUBLIC KEY-----")
        verify_envelope(sign(keys[kind]), public_key(pem), batch_digest=DIGEST, now=NOW, max_age=MAX_AGE)

    def test_ecdsa_signature_is_der(self, keys: dict[str, PrivateKey]) -> None:
        """A P-256 signature is a DER SEQUENCE of r and s, as PIV cards and HSMs produce it."""
        raw = base64.b64decode(sign(keys["p256"]).signature)
        r, s = decode_dss_signature(raw)
        assert raw[0] == 0x30
        assert r > 0
        assert s > 0

    def test_defaults_are_now_and_a_fresh_32_byte_nonce(self, keys: dict[str, PrivateKey]) -> None:
        """Without created or nonce, signing uses the current second and 32 random bytes."""
        before = datetime.now(UTC).replace(microsecond=0)
        first = sign(keys["ed25519"], created=None)
        second = sign(keys["ed25519"], created=None)
        assert before <= first.created_at <= datetime.now(UTC)
        assert first.created.endswith("Z")
        assert len(first.nonce) == 43
        assert len(base64.urlsafe_b64decode(first.nonce + "=")) == 32
        assert first.nonce != second.nonce

    def test_created_is_utc_to_the_second(self, keys: dict[str, PrivateKey]) -> None:
        """A local time with microseconds is written as UTC, truncated to the second."""
        local = datetime(2026, 11, 24, 4, 50, 0, 999_999, tzinfo=timezone(timedelta(hours=-5)))
        assert sign(keys["ed25519"], created=local).created == "2026-11-24T09:50:00Z"

    def test_naive_created_is_refused(self, keys: dict[str, PrivateKey]) -> None:
        """A time without a zone could mean anything, so signing refuses it."""
        with pytest.raises(ValueError, match="timezone-aware"):
            sign(keys["ed25519"], created=datetime(2026, 11, 24, 9, 0))

    def test_malformed_values_are_not_signed(self, keys: dict[str, PrivateKey]) -> None:
        """Signing refuses values no verifier would accept, naming the key."""
        with pytest.raises(EnvelopeError, match="'batch_digest'") as caught:
            sign(keys["ed25519"], batch_digest="sha256:ABC")
        assert caught.value.code == "REJ_ENVELOPE_MALFORMED"

    def test_other_curves_cannot_sign(self) -> None:
        """Only P-256 among the ECDSA curves is accepted for signing."""
        with pytest.raises(ValueError, match="P-256"):
            sign(ec.generate_private_key(ec.SECP384R1()))

    def test_unknown_key_kind_is_refused(self) -> None:
        """generate_private_key names the kinds it knows."""
        with pytest.raises(ValueError, match="ed25519 or p256"):
            generate_private_key("rsa")


class TestTampering:
    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize(
        "field",
        ["agreement_id", "agreement_version", "signer", "created", "nonce", "batch_digest", "batch_format",
         "record_count"],
    )  # fmt: skip
    def test_every_one_byte_change_of_a_signed_field_is_unsigned(
        self, keys: dict[str, PrivateKey], kind: str, field: str
    ) -> None:
        """Each well-formed one-byte change at each position (bit flip for integers) breaks the signature."""
        envelope = sign(keys[kind])
        changed = one_byte_changes(envelope, field)
        assert changed
        for tampered in changed:
            assert tampered != envelope
            error = rejection(tampered, keys[kind])
            assert error.code == "REJ_UNSIGNED", (field, getattr(tampered, field))

    @settings(max_examples=300, deadline=None)
    @given(data=st.data())
    def test_no_one_byte_change_is_accepted(self, keys: dict[str, PrivateKey], data: st.DataObject) -> None:
        """Any printable one-byte change is refused: malformed on construction or unsigned on verification."""
        envelope = sign(keys["ed25519"], batch_format="jsonl")
        field = data.draw(st.sampled_from(SIGNED_STRING_FIELDS + ("batch_format", "alg")))
        value: str = getattr(envelope, field)
        index = data.draw(st.integers(0, len(value) - 1))
        replacement = data.draw(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(lambda c: c != value[index])
        )
        try:
            tampered = with_value(envelope, field, value[:index] + replacement + value[index + 1 :])
        except EnvelopeError as error:
            assert error.code == "REJ_ENVELOPE_MALFORMED"
            return
        assert rejection(tampered, keys["ed25519"]).code == "REJ_UNSIGNED"

    @pytest.mark.parametrize("kind", KINDS)
    def test_signature_by_another_key_of_the_same_type(self, keys: dict[str, PrivateKey], kind: str) -> None:
        """A valid signature by a key the agreement does not register is unsigned."""
        forged = sign(generate_private_key(kind))
        error = rejection(forged, keys[kind])
        assert error.code == "REJ_UNSIGNED"
        assert "does not verify under signer 'ice-director'" in str(error)

    def test_ed25519_signature_claimed_as_ecdsa(self, keys: dict[str, PrivateKey]) -> None:
        """An Ed25519 signature labelled ecdsa-p256-sha256 is refused, whichever key it is checked against."""
        relabelled = dataclasses.replace(sign(keys["ed25519"]), alg="ecdsa-p256-sha256")
        error = rejection(relabelled, keys["ed25519"])
        assert error.code == "REJ_UNSIGNED"
        assert "'alg': ecdsa-p256-sha256 claimed, but the signer's registered key is ed25519" in str(error)
        assert rejection(relabelled, keys["p256"]).code == "REJ_UNSIGNED"

    def test_p256_envelope_against_an_ed25519_key(self, keys: dict[str, PrivateKey]) -> None:
        """The key decides the algorithm: a P-256 envelope does not verify under an Ed25519 key."""
        error = rejection(sign(keys["p256"]), keys["ed25519"])
        assert error.code == "REJ_UNSIGNED"
        assert "registered key is ed25519" in str(error)

    @pytest.mark.parametrize(
        ("signature", "message"),
        [("", "absent"), ("not base64!", "expected standard base64"), ("QUJD", "does not verify"),
         ("A" * 86 + "==", "does not verify")],
    )  # fmt: skip
    def test_absent_or_garbled_signature(
        self, keys: dict[str, PrivateKey], signature: str, message: str
    ) -> None:
        """A missing, non-base64, short or zeroed signature is unsigned, and the message says which."""
        envelope = dataclasses.replace(sign(keys["ed25519"]), signature=signature)
        error = rejection(envelope, keys["ed25519"])
        assert error.code == "REJ_UNSIGNED"
        assert message in str(error)

    def test_url_safe_base64_signature_is_refused(self, keys: dict[str, PrivateKey]) -> None:
        """The signature is standard base64; the URL-safe alphabet is not silently accepted."""
        envelope = sign(keys["p256"])
        while "+" not in envelope.signature and "/" not in envelope.signature:
            envelope = sign(keys["p256"])
        urlsafe = envelope.signature.replace("+", "-").replace("/", "_")
        error = rejection(dataclasses.replace(envelope, signature=urlsafe), keys["p256"])
        assert "expected standard base64" in str(error)

    def test_signature_is_checked_before_digest_and_time(self, keys: dict[str, PrivateKey]) -> None:
        """A forged, stale envelope for another file is refused as unsigned: nothing it says is believed."""
        forged = sign(generate_private_key("ed25519"), created=NOW - 10 * MAX_AGE)
        assert rejection(forged, keys["ed25519"], batch_digest=OTHER_DIGEST).code == "REJ_UNSIGNED"


class TestBatchDigest:
    def test_other_file_is_a_digest_mismatch(self, keys: dict[str, PrivateKey]) -> None:
        """A correctly signed envelope does not cover a different batch file."""
        error = rejection(sign(keys["ed25519"]), keys["ed25519"], batch_digest=OTHER_DIGEST)
        assert error.code == "REJ_BATCH_DIGEST_MISMATCH"
        assert f"signed {DIGEST}, but the batch file is {OTHER_DIGEST}" in str(error)


class TestFreshness:
    def test_exactly_max_age_is_accepted(self, keys: dict[str, PrivateKey]) -> None:
        """An envelope exactly max_age old is still fresh."""
        verify(sign(keys["ed25519"], created=NOW - MAX_AGE), keys["ed25519"])

    def test_one_second_older_is_stale(self, keys: dict[str, PrivateKey]) -> None:
        """One second past max_age is stale."""
        error = rejection(
            sign(keys["ed25519"], created=NOW - MAX_AGE - timedelta(seconds=1)), keys["ed25519"]
        )
        assert error.code == "REJ_ENVELOPE_STALE"
        assert "'created': 2026-11-21T08:59:59Z is older than 3 days, 0:00:00 at 2026-11-24T09:00:00Z" in str(
            error
        )

    def test_exactly_the_clock_skew_ahead_is_accepted(self, keys: dict[str, PrivateKey]) -> None:
        """An envelope dated exactly the allowed skew (default five minutes) ahead is accepted."""
        verify(sign(keys["p256"], created=NOW + timedelta(minutes=5)), keys["p256"])

    def test_one_second_beyond_the_skew_is_from_the_future(self, keys: dict[str, PrivateKey]) -> None:
        """One second beyond the allowed skew is from the future."""
        envelope = sign(keys["p256"], created=NOW + timedelta(minutes=5, seconds=1))
        error = rejection(envelope, keys["p256"])
        assert error.code == "REJ_ENVELOPE_FROM_FUTURE"
        assert "later than 2026-11-24T09:00:00Z plus the allowed clock skew of 0:05:00" in str(error)

    def test_skew_is_configurable(self, keys: dict[str, PrivateKey]) -> None:
        """With no skew allowed, one second ahead is already from the future."""
        envelope = sign(keys["ed25519"], created=NOW + timedelta(seconds=1))
        error = rejection(envelope, keys["ed25519"], max_clock_skew=timedelta(0))
        assert error.code == "REJ_ENVELOPE_FROM_FUTURE"

    def test_naive_now_is_refused(self, keys: dict[str, PrivateKey]) -> None:
        """A clock without a zone is a programming error, not a rejection."""
        with pytest.raises(ValueError, match="timezone-aware"):
            verify(sign(keys["ed25519"]), keys["ed25519"], now=datetime(2026, 11, 24, 9, 0))


class TestReadEnvelope:
    @pytest.mark.parametrize("kind", KINDS)
    def test_write_then_read_is_unchanged(
        self, keys: dict[str, PrivateKey], kind: str, tmp_path: Path
    ) -> None:
        """An envelope survives write_envelope and read_envelope unchanged, and still verifies."""
        envelope = sign(keys[kind])
        path = tmp_path / "batch.csv.envelope.json"
        write_envelope(path, envelope)
        assert read_envelope(path) == envelope
        assert envelope_json(envelope)["v"] == ENVELOPE_VERSION
        verify(read_envelope(path), keys[kind])

    def test_key_order_does_not_matter(self, keys: dict[str, PrivateKey]) -> None:
        """A file with its keys in another order reads as the same envelope."""
        envelope = sign(keys["ed25519"])
        reordered = dict(reversed(list(envelope_json(envelope).items())))
        assert parse_envelope(json.dumps(reordered)) == envelope

    @pytest.fixture
    def good(self, keys: dict[str, PrivateKey]) -> dict[str, Any]:
        """The JSON content of a valid envelope."""
        return envelope_json(sign(keys["ed25519"]))

    def refused(self, values: Any, key: str) -> EnvelopeError:
        """parse_envelope refuses ``values`` as malformed, naming ``key``."""
        with pytest.raises(EnvelopeError, match=f"envelope key '{key}'") as caught:
            parse_envelope(json.dumps(values))
        assert caught.value.code == "REJ_ENVELOPE_MALFORMED"
        return caught.value

    def test_unknown_key(self, good: dict[str, Any]) -> None:
        """An extra key is refused, not ignored: the signer did not sign it."""
        error = self.refused(good | {"expires": "2026-11-25T00:00:00Z"}, "expires")
        assert "no such key" in str(error)

    @pytest.mark.parametrize("key", ("v", *FIELDS))
    def test_missing_key(self, good: dict[str, Any], key: str) -> None:
        """Every key, the version and the signature included, must be present."""
        del good[key]
        self.refused(good, key)

    def test_float_record_count(self, good: dict[str, Any]) -> None:
        """record_count 1000.0 is not an integer."""
        error = self.refused(good | {"record_count": 1000.0}, "record_count")
        assert "expected an integer" in str(error)

    @pytest.mark.parametrize(
        ("key", "value"),
        [("record_count", True), ("record_count", "1000"), ("record_count", -1), ("record_count", 2**53),
         ("agreement_version", 0), ("agreement_version", None), ("signer", 7), ("signature", None)],
    )  # fmt: skip
    def test_wrong_type_or_range(self, good: dict[str, Any], key: str, value: Any) -> None:
        """Booleans, strings, nulls and out-of-range integers are refused, naming the key."""
        self.refused(good | {key: value}, key)

    @pytest.mark.parametrize(
        "nonce",
        ["A" * 21, "A" * 89, "A" * 21 + "==", "A" * 42 + "+", "A" * 42 + "/", "A" * 21 + "B", "A" * 41 + "B",
         "A" * 23 + " ", ""],
    )  # fmt: skip
    def test_bad_nonce(self, good: dict[str, Any], nonce: str) -> None:
        """Short, long, padded, standard-alphabet or non-canonical nonces are refused."""
        error = self.refused(good | {"nonce": nonce}, "nonce")
        assert "at least 16 bytes" in str(error)

    @pytest.mark.parametrize(
        ("key", "value"),
        [("batch_digest", "sha256:" + "A" * 64), ("batch_digest", "sha1:" + "a" * 40),
         ("batch_digest", "sha256:" + "a" * 63), ("created", "2026-11-24T04:50:00+00:00"),
         ("created", "2026-11-24T04:50:00.5Z"), ("created", "2026-13-01T00:00:00Z"),
         ("created", "2026-11-24 04:50:00Z"), ("created", "2026-11-24T4:50:00Z"), ("alg", "none"),
         ("alg", "ES256"), ("batch_format", "xlsx"), ("agreement_id", "x"), ("signer", "ICE Director"),
         ("v", "custos-envelope/2")],
    )  # fmt: skip
    def test_bad_formats(self, good: dict[str, Any], key: str, value: str) -> None:
        """Digest, time, algorithm, format, id and version formats are checked, naming the key."""
        self.refused(good | {key: value}, key)

    def test_repeated_key(self, good: dict[str, Any]) -> None:
        """A key given twice is refused, since parsers disagree on which one wins."""
        text = json.dumps(good)[:-1] + ', "signer": "someone-else"}'
        with pytest.raises(EnvelopeError, match="'signer': expected the key once"):
            parse_envelope(text)

    @pytest.mark.parametrize("data", [b"not json", b"[]", b'"envelope"', b"\xff\xfe{}", b"{" * 100_000])
    def test_not_a_json_object(self, data: bytes) -> None:
        """Non-JSON, non-UTF-8, non-object and oversized input is malformed."""
        with pytest.raises(EnvelopeError) as caught:
            parse_envelope(data)
        assert caught.value.code == "REJ_ENVELOPE_MALFORMED"

    def test_error_names_the_file(self, good: dict[str, Any], tmp_path: Path) -> None:
        """read_envelope prefixes the problem with the file's path."""
        path = tmp_path / "envelope.json"
        path.write_text(json.dumps(good | {"record_count": 1.5}), encoding="utf-8")
        with pytest.raises(EnvelopeError, match=r"envelope\.json: envelope key 'record_count'"):
            read_envelope(path)

    def test_missing_file_is_unsigned(self, tmp_path: Path) -> None:
        """A batch without its envelope file is an unsigned request."""
        with pytest.raises(EnvelopeError, match="no envelope file") as caught:
            read_envelope(tmp_path / "absent.json")
        assert caught.value.code == "REJ_UNSIGNED"

    def test_empty_signature_reads_then_is_unsigned(
        self, good: dict[str, Any], keys: dict[str, PrivateKey]
    ) -> None:
        """An empty signature is well-formed JSON but an unsigned request."""
        envelope = parse_envelope(json.dumps(good | {"signature": ""}))
        assert rejection(envelope, keys["ed25519"]).code == "REJ_UNSIGNED"


class TestSigningBytes:
    def test_equals_rfc8785_of_the_fields_and_version(self, keys: dict[str, PrivateKey]) -> None:
        """signing_bytes is exactly rfc8785.dumps of the version and every field but the signature."""
        envelope = sign(keys["ed25519"])
        values = envelope_json(envelope)
        del values["signature"]
        assert envelope.signing_bytes() == rfc8785.dumps(values)
        assert envelope.signing_bytes().startswith(b'{"agreement_id":"DHS-ICE-2026","agreement_version":3,')
        assert envelope.signing_bytes().endswith(b',"v":"custos-envelope/1"}')

    def test_independent_of_key_order(self, keys: dict[str, PrivateKey]) -> None:
        """The same fields in any order canonicalize to the same bytes."""
        values = envelope_json(sign(keys["ed25519"]))
        del values["signature"]
        reordered = dict(sorted(values.items(), reverse=True))
        assert list(reordered) != list(values)
        assert rfc8785.dumps(reordered) == rfc8785.dumps(values)

    def test_signature_is_not_covered(self, keys: dict[str, PrivateKey]) -> None:
        """Replacing the signature leaves the signed bytes unchanged."""
        envelope = sign(keys["ed25519"])
        assert dataclasses.replace(envelope, signature="").signing_bytes() == envelope.signing_bytes()


class TestKeyFiles:
    @pytest.mark.parametrize("kind", KINDS)
    def test_written_with_mode_0600_and_read_back(self, kind: str, tmp_path: Path) -> None:
        """A key file is PKCS8 PEM, mode 0600, and loads as the same key."""
        key = generate_private_key(kind)
        path = tmp_path / f"{kind}.pem"
        write_private_key(path, key)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text(encoding="ascii").startswith("-----BEGIN PRIVATE KEY-----")
        assert public_key_pem(load_private_key(path)) == public_key_pem(key)

    def test_mode_0600_whatever_the_umask(self, tmp_path: Path) -> None:
        """A permissive umask does not widen the mode."""
        previous = os.umask(0)
        try:
            write_private_key(tmp_path / "key.pem", generate_private_key("ed25519"))
        finally:
            os.umask(previous)
        assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600

    def test_refuses_to_overwrite(self, tmp_path: Path) -> None:
        """An existing file is never replaced."""
        path = tmp_path / "key.pem"
        path.write_text("keep me", encoding="ascii")
        with pytest.raises(IntakeError, match="already exists"):
            write_private_key(path, generate_private_key("p256"))
        assert path.read_text(encoding="ascii") == "keep me"

    def test_p256_and_rsa_are_told_apart(self, tmp_path: Path) -> None:
        """A P-256 key file loads as ECDSA P-256; an RSA key file is refused, saying it is RSA."""
        write_private_key(tmp_path / "p256.pem", generate_private_key("p256"))
        loaded = load_private_key(tmp_path / "p256.pem")
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        assert isinstance(loaded.curve, ec.SECP256R1)
        assert sign(loaded).alg == "ecdsa-p256-sha256"
        pem = rsa.generate_private_key(65537, 2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (tmp_path / "rsa.pem").write_bytes(pem)
        with pytest.raises(IntakeError, match="holds an RSAPrivateKey; expected Ed25519 or ECDSA P-256"):
            load_private_key(tmp_path / "rsa.pem")

    def test_other_curves_are_refused(self, tmp_path: Path) -> None:
        """A P-384 key file is refused, naming the curve."""
        pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (tmp_path / "p384.pem").write_bytes(pem)
        with pytest.raises(IntakeError, match="on secp384r1"):
            load_private_key(tmp_path / "p384.pem")

    def test_encrypted_or_garbled_files_are_refused_without_echoing_them(self, tmp_path: Path) -> None:
        """An encrypted key or a damaged PEM is refused, and the message repeats none of the file."""
        key = ed25519.Ed25519PrivateKey.generate()
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
        plain = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        body = plain.decode("ascii").splitlines()[1]
        for name, content in [("encrypted.pem", encrypted), ("damaged.pem", plain.replace(b"M", b"!", 1))]:
            (tmp_path / name).write_bytes(content)
            with pytest.raises(IntakeError, match="not an unencrypted PEM private key") as caught:
                load_private_key(tmp_path / name)
            assert body[:16] not in str(caught.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing key file is a clear IntakeError."""
        with pytest.raises(IntakeError, match="cannot read the signing key"):
            load_private_key(tmp_path / "absent.pem")


class TestEnvelopeError:
    def test_is_an_intake_error_with_a_code(self) -> None:
        """EnvelopeError belongs to the intake family and carries its rejection code into diagnostics."""
        error = EnvelopeError("envelope key 'nonce': expected base64url", "REJ_ENVELOPE_MALFORMED")
        assert isinstance(error, IntakeError)
        assert error.code == "REJ_ENVELOPE_MALFORMED"
        assert error.diagnostics() == "envelope key 'nonce': expected base64url (REJ_ENVELOPE_MALFORMED)"
