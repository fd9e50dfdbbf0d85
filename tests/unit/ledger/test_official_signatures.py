"""Officials' signatures re-verified offline (NIST AU-10; spec section 2.3 and section 6 test 18).

Every signature the ledger records for a requesting official must verify again from
an export bundle with nothing but the verifier and official-keys.json: batch
envelopes (Ed25519 raw, ECDSA P-256 DER) and RFC 9421 request signatures (Ed25519,
ECDSA P-256 raw r||s).  The leaves come from the real pipeline and the real signer
and verifier, so a format drift between custos and the offline verifier shows here.
A stored leaf cannot be edited without breaking the hash chain, so the per-signature
checks are also tested on the pure functions, with one field altered at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.accounting.harness import Harness, activate_variant, valid_rows

from custos.api.client import sign_request
from custos.api.signatures import (
    IncomingRequest,
    KeyRegistry,
    RegisteredKey,
    verify_request,
)
from custos.cli import main as cli_main
from custos.demo_setup import COMPONENT, DEMO_AGREEMENT, HEAD
from custos.intake.envelope import (
    PrivateKey,
    generate_private_key,
    load_private_key,
    public_key_pem,
    write_private_key,
)
from custos.ledger import verifier
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, Outcome, RequestSignature
from custos.ledger.export import export_bundle
from custos.ledger.verifier import ParseError, VerificationError
from custos.policy.keys import official_keys
from custos.runtime import Runtime
from custos.testing import FixedClock

AUDITOR = Actor(ActorKind.AUDITOR, "signature-test")
URL = "http://127.0.0.1:8000/v1/lookups"
ED_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
EC_KEY = generate_private_key("p256")
KEYIDS = {"AGR-1/ed-official": ED_KEY, "AGR-1/ec-official": EC_KEY}
PUBLIC_KEYS = {keyid: [key.public_key()] for keyid, key in KEYIDS.items()}


def keys_json(mapping: dict[str, list[PrivateKey]]) -> str:
    """official-keys.json text for these keyids and (private) keys."""
    return json.dumps({keyid: [public_key_pem(key) for key in keys] for keyid, keys in mapping.items()})


def run_verifier(bundle: Path, official: Path | None, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    """The auditor's command line; returns the exit code and the JSON report."""
    argv = ["bundle", str(bundle), "--keys", str(bundle / "trusted-keys.txt")]
    argv += ["--official-keys", str(official)] if official else []
    code = verifier.main(argv)
    return code, json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------------------
# RFC 9421 request signatures, made by the real client and verified by the real server code.


class _Registry(KeyRegistry):
    def resolve(self, keyid: str) -> RegisteredKey:
        agreement_id, _, signer = keyid.partition("/")
        return RegisteredKey(keyid, agreement_id, signer, "DHS", KEYIDS[keyid].public_key())


def evidence(
    keyid: str, now: dt.datetime, *, body: bytes = b'{"records":[]}', method: str = "POST"
) -> RequestSignature:
    """The RequestSignature custos stores for a request it verified."""
    content_type = "application/json" if body else None
    headers = sign_request(
        method, URL, key=KEYIDS[keyid], keyid=keyid, body=body, content_type=content_type, now=now
    )
    incoming = IncomingRequest(method, URL, list(headers.items()), hashlib.sha256(body).digest(), bool(body))
    return verify_request(incoming, _Registry(), now).evidence


def append_read(
    runtime: Runtime, signature: RequestSignature, event: EventType = EventType.ACCESS_READ
) -> int:
    actor = Actor(ActorKind.OFFICIAL, "ed-official", "DHS", "AGR-1/ed-official")
    outcome = Outcome.DENIED if event == EventType.REQUEST_REJECTED_AUTH else Outcome.SUCCESS
    return runtime.ledger.append(AuditEvent(event, actor, "read", outcome, request_sig=signature)).seq


@pytest.fixture
def signed_bundle(runtime: Runtime, clock: FixedClock, tmp_path: Path) -> Path:
    """A bundle holding Ed25519 and P-256 request signatures, with and without a body, and a refusal."""
    now = clock.now()
    append_read(runtime, evidence("AGR-1/ed-official", now))
    append_read(runtime, evidence("AGR-1/ec-official", now))
    append_read(runtime, evidence("AGR-1/ed-official", now, body=b"", method="GET"))
    append_read(runtime, evidence("AGR-1/ec-official", now, body=b"", method="GET"))
    presented = RequestSignature('sig1=("@method");keyid="AGR-1/nobody"', "sig1=:AAAA:", "sha-256=:AA==:", "")
    append_read(runtime, presented, EventType.REQUEST_REJECTED_AUTH)
    directory = tmp_path / "bundle"
    export_bundle(runtime.ledger, directory, AUDITOR)
    return directory


class TestRequestSignaturesInABundle:
    def test_ed25519_and_p256_request_signatures_verify_offline(
        self, signed_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Test 18: every stored request signature re-verifies; the refused request is only counted."""
        official = tmp_path / "official-keys.json"
        official.write_text(keys_json({keyid: [key] for keyid, key in KEYIDS.items()}))
        code, report = run_verifier(signed_bundle, official, capsys)
        assert code == 0, report
        assert report["request_signatures_verified"] == 4
        assert report["refused_requests_not_verified"] == 1
        assert report["envelope_signatures_verified"] == 0

    def test_without_official_keys_the_report_is_unchanged(
        self, signed_bundle: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The option is opt-in: without it nothing is checked or reported about officials."""
        code, report = run_verifier(signed_bundle, None, capsys)
        assert code == 0, report
        assert "request_signatures_verified" not in report

    def test_another_key_under_the_same_keyid_fails_naming_the_seq(
        self, signed_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A key the official never signed with: exit 1 at the first signed leaf (seq 1, after init)."""
        official = tmp_path / "wrong.json"
        official.write_text(
            keys_json({"AGR-1/ed-official": [Ed25519PrivateKey.generate()], "AGR-1/ec-official": [EC_KEY]})
        )
        code, report = run_verifier(signed_bundle, official, capsys)
        assert code == 1
        assert report["first_failed_check"] == "official_signature"
        assert report["first_bad_seq"] == 1
        assert "seq 1" in report["failures"][0]["message"]
        assert "bad signature" in report["failures"][0]["message"]

    def test_a_keyid_missing_from_the_file_fails(
        self, signed_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        official = tmp_path / "partial.json"
        official.write_text(keys_json({"AGR-1/ed-official": [ED_KEY]}))
        code, report = run_verifier(signed_bundle, official, capsys)
        assert code == 1 and report["first_bad_seq"] == 2
        assert "unknown keyid 'AGR-1/ec-official'" in report["failures"][0]["message"]

    def test_an_unreadable_key_file_is_a_parse_error(
        self, signed_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        official = tmp_path / "bad.json"
        official.write_text('{"AGR-1/ed-official": ["not a PEM"]}')
        assert run_verifier(signed_bundle, official, capsys)[0] == 2


class TestOneRequestSignature:
    """verify_request_signature, one altered field at a time."""

    @pytest.fixture(params=sorted(KEYIDS))
    def stored(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return asdict(evidence(request.param, dt.datetime.now(dt.UTC)))

    def test_the_stored_signature_verifies(self, stored: dict[str, Any]) -> None:
        keyid = verifier.verify_request_signature(stored, PUBLIC_KEYS)
        assert keyid in KEYIDS and f'keyid="{keyid}"' in stored["signature_input"]

    @pytest.mark.parametrize(
        ("alter", "reason"),
        [
            (lambda s: s | {"signature_base": s["signature_base"].replace("/v1/lookups", "/v1/other")},
             "bad signature"),
            (lambda s: s | {"signature_base": s["signature_base"].replace("created=", "created=1")},
             "does not end with"),
            (lambda s: s | {"signature_input": s["signature_input"].replace("created=", "created=1")},
             "does not end with"),
            (lambda s: s | {"signature": "sig2" + s["signature"][4:]}, "label"),
            (lambda s: s | {"signature_input": "sig2" + s["signature_input"][4:]}, "label"),
            (lambda s: s | {"content_digest": "sha-256=:" + "A" * 43 + "=:"}, "content_digest"),
            (lambda s: s | {"alg": "hmac-sha256"}, "alg"),
            (lambda s: s | {"signature_base": None}, "signature_base"),
            (lambda s: s | {"signature": s["signature"][:-3] + "A=:"}, "signature"),
            (lambda s: s | {"signature_base": "\n".join(s["signature_base"].split("\n")[1:])},
             "do not match the covered components"),
        ],
    )  # fmt: skip
    def test_an_altered_field_fails(self, stored: dict[str, Any], alter: Any, reason: str) -> None:
        with pytest.raises(VerificationError, match=reason):
            verifier.verify_request_signature(alter(stored), PUBLIC_KEYS)

    def test_a_key_of_the_other_algorithm_is_an_alg_mismatch(self, stored: dict[str, Any]) -> None:
        """The key dictates the algorithm: an Ed25519 signature is never tried as ECDSA, nor back."""
        swapped: verifier.OfficialKeys = {
            "AGR-1/ed-official": [EC_KEY.public_key()],
            "AGR-1/ec-official": [ED_KEY.public_key()],
        }
        with pytest.raises(VerificationError, match="does not match the keys"):
            verifier.verify_request_signature(stored, swapped)

    def test_a_wrong_key_fails_and_any_listed_key_may_verify(self, stored: dict[str, Any]) -> None:
        keyid = verifier.verify_request_signature(stored, PUBLIC_KEYS)
        other = generate_private_key("ed25519" if keyid.startswith("AGR-1/ed") else "p256").public_key()
        with pytest.raises(VerificationError, match="bad signature"):
            verifier.verify_request_signature(stored, {keyid: [other]})
        assert verifier.verify_request_signature(stored, {keyid: [other, *PUBLIC_KEYS[keyid]]}) == keyid

    def test_a_signature_not_covering_the_digest_fails(self) -> None:
        """Coverage is checked on the stored parameters, which the base must repeat exactly."""
        params = '("@method" "@target-uri");keyid="AGR-1/ed-official";alg="ed25519"'
        base = f'"@method": POST\n"@target-uri": {URL}\n"@signature-params": {params}'
        stored = {
            "signature_input": f"sig1={params}",
            "signature": "sig1=:" + "A" * 86 + "==:",
            "content_digest": "sha-256=:AA==:",
            "alg": "ed25519",
            "signature_base": base,
        }
        with pytest.raises(VerificationError, match="does not cover"):
            verifier.verify_request_signature(stored, PUBLIC_KEYS)

    def test_signature_parameters_parse_as_rfc_8941(self) -> None:
        components, parameters = verifier.parse_signature_params(
            '("@method" "@query-param";name="a b" "content-digest");created=17;keyid="A/\\"s\\"";alg="ed25519"'
        )
        assert components == ['"@method"', '"@query-param";name="a b"', '"content-digest"']
        assert parameters == {"created": "17", "keyid": 'A/"s"', "alg": "ed25519"}


FUZZ = settings(
    max_examples=300, deadline=1_000, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
VALID = asdict(evidence("AGR-1/ed-official", dt.datetime.now(dt.UTC)))


class TestParsersOnlyRaiseDeclaredErrors:
    """Spec test 22 for the new parsers: arbitrary input gives ParseError or VerificationError only."""

    @FUZZ
    @given(field=st.sampled_from(sorted(VALID)), position=st.integers(0, 400), text=st.text(max_size=8))
    def test_edited_request_signatures(self, field: str, position: int, text: str) -> None:
        value = VALID[field]
        edited = VALID | {field: value[:position] + text + value[position + len(text) :]}
        with contextlib.suppress(VerificationError):
            verifier.verify_request_signature(edited, PUBLIC_KEYS)

    @FUZZ
    @given(params=st.text(alphabet='()";=@ -abkz\\1', max_size=60))
    def test_signature_params(self, params: str) -> None:
        with contextlib.suppress(VerificationError):
            verifier.parse_signature_params(params)

    @FUZZ
    @given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                              lambda inner: st.lists(inner, max_size=3)
                              | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8))  # fmt: skip
    def test_official_key_files(self, value: Any) -> None:
        with contextlib.suppress(ParseError):
            verifier.parse_official_keys(json.dumps(value))


# ---------------------------------------------------------------------------
# Batch envelopes, through the real pipeline, with the keys custos exports.


def official_keys_file(demo: Harness, path: Path) -> Path:
    with demo.runtime.database.read() as connection:
        path.write_text(json.dumps(official_keys(connection), indent=2))
    return path


def received_with_envelopes(bundle: Path) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in (bundle / "entries.jsonl").read_text().splitlines()]
    return [
        e for e in entries if e["event_type"] == "request.received" and e["details"].get("envelope_signature")
    ]


class TestEnvelopeSignatures:
    def test_ed25519_and_p256_envelopes_verify_with_exported_keys(
        self, demo: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A batch signed by each demo official (Ed25519 and P-256 DER) re-verifies from the bundle."""
        demo.submit(valid_rows(demo, 2, "SIGED"))
        demo.submit(valid_rows(demo, 2, "SIGEC"), signer=COMPONENT)
        bundle = tmp_path / "bundle"
        export_bundle(demo.ledger, bundle, AUDITOR)
        signed = received_with_envelopes(bundle)
        assert {e["details"]["envelope_alg"] for e in signed} == {"ed25519", "ecdsa-p256-sha256"}
        code, report = run_verifier(bundle, official_keys_file(demo, tmp_path / "official.json"), capsys)
        assert code == 0, report
        assert report["envelope_signatures_verified"] == len(signed)
        for entry in signed:
            keyid = f"{DEMO_AGREEMENT}/{entry['actor']['id']}"
            keys = verifier.parse_official_keys((tmp_path / "official.json").read_text())
            assert verifier.verify_envelope_signature(entry, keys) == keyid

    def test_a_wrong_or_missing_official_key_fails_naming_the_seq(
        self, demo: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        demo.submit(valid_rows(demo, 2, "SIGWR"))
        bundle = tmp_path / "bundle"
        export_bundle(demo.ledger, bundle, AUDITOR)
        first = received_with_envelopes(bundle)[0]
        keyid = f"{DEMO_AGREEMENT}/{first['actor']['id']}"
        exported = json.loads(official_keys_file(demo, tmp_path / "official.json").read_text())
        wrong = tmp_path / "wrong.json"
        wrong.write_text(json.dumps(exported | {keyid: [public_key_pem(generate_private_key("ed25519"))]}))
        code, report = run_verifier(bundle, wrong, capsys)
        assert code == 1 and report["first_bad_seq"] == first["seq"]
        assert report["failures"][0]["message"].startswith(f"seq {first['seq']}: envelope signature: bad")
        missing = tmp_path / "missing.json"
        missing.write_text(json.dumps({k: v for k, v in exported.items() if k != keyid}))
        code, report = run_verifier(bundle, missing, capsys)
        assert code == 1 and report["first_bad_seq"] == first["seq"]
        assert "unknown keyid" in report["failures"][0]["message"]

    def test_an_altered_envelope_field_fails(self, demo: Harness, tmp_path: Path) -> None:
        """Each field the leaf records is one the signature covers."""
        demo.submit(valid_rows(demo, 1, "SIGAL"))
        bundle = tmp_path / "bundle"
        export_bundle(demo.ledger, bundle, AUDITOR)
        entry = received_with_envelopes(bundle)[-1]
        keys = verifier.parse_official_keys(official_keys_file(demo, tmp_path / "official.json").read_text())
        assert verifier.verify_envelope_signature(entry, keys)
        details = entry["details"]
        for altered in (
            entry | {"details": details | {"envelope_record_count": details["envelope_record_count"] + 1}},
            entry | {"details": details | {"envelope_nonce": "A" * 43}},
            entry | {"object": entry["object"] | {"commitment": "sha256:" + "0" * 64}},
            entry | {"actor": entry["actor"] | {"id": COMPONENT}},
            entry | {"details": details | {"envelope_signature": "A" + details["envelope_signature"][1:]}},
        ):
            with pytest.raises(VerificationError):
                verifier.verify_envelope_signature(altered, keys)
        with pytest.raises(VerificationError, match="envelope_created"):
            verifier.verify_envelope_signature(
                entry | {"details": details | {"envelope_created": None}}, keys
            )

    def test_official_keys_lists_every_version_s_keys_once(self, demo: Harness, tmp_path: Path) -> None:
        """A rotated key stays listed, so signatures made before the rotation still verify."""
        head_pem = public_key_pem(load_private_key(demo.keys[HEAD]))
        with demo.runtime.database.read() as connection:
            before = official_keys(connection)
        assert before[f"{DEMO_AGREEMENT}/{HEAD}"] == [head_pem]
        assert len(before[f"{DEMO_AGREEMENT}/{COMPONENT}"]) == 1
        demo.submit(valid_rows(demo, 1, "SIGV1"))
        rotated = generate_private_key("ed25519")
        write_private_key(tmp_path / "rotated.pem", rotated)
        text = (demo.directory / "demo" / "agreement.toml").read_text()
        assert head_pem in text
        activate_variant(demo, text.replace(head_pem, public_key_pem(rotated)))
        demo.submit(valid_rows(demo, 1, "SIGV2"), agreement_version=2, key=tmp_path / "rotated.pem")
        with demo.runtime.database.read() as connection:
            after = official_keys(connection)
        assert after[f"{DEMO_AGREEMENT}/{HEAD}"] == sorted([head_pem, public_key_pem(rotated)])
        assert after[f"{DEMO_AGREEMENT}/{COMPONENT}"] == before[f"{DEMO_AGREEMENT}/{COMPONENT}"]
        bundle = tmp_path / "bundle"
        export_bundle(demo.ledger, bundle, AUDITOR)
        keys = verifier.parse_official_keys(json.dumps(after))
        report = verifier.verify_bundle(bundle, verifier.parse_keys((bundle / "trusted-keys.txt").read_text()),
                                        official_keys=keys)  # fmt: skip
        assert report.ok, report.as_json()
        assert report.envelope_signatures_verified == len(received_with_envelopes(bundle)) >= 2


class TestCommandLine:
    def test_export_writes_official_keys_and_verify_passes_them_on(
        self, demo: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """custos ledger export writes official-keys.json; custos ledger verify --official-keys uses it."""
        demo.submit(valid_rows(demo, 1, "SIGCLI"))
        bundle = tmp_path / "bundle"
        assert cli_main(["--dir", str(demo.directory), "ledger", "export", str(bundle)]) == 0
        exported = json.loads((bundle / "official-keys.json").read_text())
        assert set(exported) == {f"{DEMO_AGREEMENT}/{HEAD}", f"{DEMO_AGREEMENT}/{COMPONENT}"}
        assert "--official-keys official-keys.json" in (bundle / "README-verify.txt").read_text()
        capsys.readouterr()
        # The reports, not cli_main's return value: custos.cli.main drops the Exit code of
        # 'ledger verify' under standalone_mode=False (it returns 0 either way).
        argv = ["ledger", "verify", str(bundle), "--keys", str(bundle / "trusted-keys.txt")]
        cli_main([*argv, "--official-keys", str(bundle / "official-keys.json")])
        report = json.loads(capsys.readouterr().out)
        assert report["ok"] and report["envelope_signatures_verified"] >= 1, report
        wrong = tmp_path / "wrong.json"
        other = public_key_pem(generate_private_key("p256"))
        wrong.write_text(json.dumps({keyid: [other] for keyid in exported}))
        cli_main([*argv, "--official-keys", str(wrong)])
        report = json.loads(capsys.readouterr().out)
        assert not report["ok"] and report["first_failed_check"] == "official_signature"
