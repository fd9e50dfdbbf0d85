"""RFC 9421 request authentication: the accept path and the full reject matrix (ledger-and-security.md 18-19).

Every refused request is answered 401, leaves exactly one ledger entry
(``request.rejected_auth`` or ``request.replay_detected``) and changes nothing
else: no batch, case, nonce or confidential payload appears.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import func, select
from tests.unit.accounting.harness import OPERATOR, Harness, activate_variant, valid_rows
from tests.unit.api.client import SignedClient, content_digest, craft_signature

from custos.accounting.tables import batch, case_record, envelope_nonce, request_nonce
from custos.api.client import new_nonce
from custos.demo_setup import COMPONENT, DEMO_AGREEMENT, HEAD
from custos.ledger.confidential import confidential_payload
from custos.policy.keys import revoke_key

LOOKUP = "/v1/lookups"
FULL = ["@method", "@target-uri", "content-digest", "content-type"]


def _state(demo: Harness) -> dict[str, int]:
    with demo.runtime.database.read() as connection:
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (batch, case_record, request_nonce, envelope_nonce, confidential_payload)
        }
    return {**counts, "ledger": demo.ledger.head().size}


def _lookup_body(demo: Harness) -> bytes:
    records = valid_rows(demo, 1, "AUTH")
    return json.dumps({"agreement_id": DEMO_AGREEMENT, "agreement_version": 1, "records": records}).encode()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _refused(demo: Harness, send: Callable[[], httpx.Response], code: str) -> dict[str, Any]:
    before = _state(demo)
    response = send()
    assert response.status_code == 401, response.text
    problem = response.json()
    assert problem["error"] == code, problem
    after = _state(demo)
    assert after["ledger"] == before["ledger"] + 1, "exactly one ledger entry"
    assert {k: v for k, v in after.items() if k != "ledger"} == {
        k: v for k, v in before.items() if k != "ledger"
    }
    leaf = demo.entries()[-1]
    assert leaf["seq"] == problem["ledger_seq"]
    assert leaf["event_type"] in {"request.rejected_auth", "request.replay_detected"}
    assert leaf["reason_code"] == code and leaf["outcome"] == "denied"
    assert response.headers["WWW-Authenticate"].startswith("Signature")
    return leaf


class TestAcceptPath:
    @pytest.mark.parametrize("signer", [HEAD, COMPONENT], ids=["ed25519", "ecdsa-p256"])
    def test_a_signed_lookup_is_accepted_and_its_signature_kept_for_auditors(
        self, api: SignedClient, demo: Harness, signer: str
    ) -> None:
        """A correctly signed request gets 2xx; its request.received leaf holds the signature evidence."""
        response = api.lookup(valid_rows(demo, 2, f"ACC{signer[:3]}"), signer=signer)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [r["code"] for r in body["results"]] == [
            "PENDING_RELEASE"
        ] * 2  # nothing leaves before approval
        received = next(e for e in demo.entries() if e["event_type"] == "request.received")
        sig = received["request_sig"]
        assert received["actor"]["keyid"] == f"{DEMO_AGREEMENT}/{signer}"
        assert sig["alg"] == ("ed25519" if signer == HEAD else "ecdsa-p256-sha256")
        assert sig["signature_input"].startswith(
            'sig1=("@method" "@target-uri" "content-digest" "content-type")'
        )
        assert sig["signature"].startswith("sig1=:")
        assert f'"content-digest": {sig["content_digest"]}' in sig["signature_base"]
        assert sig["signature_base"].endswith(sig["signature_input"].removeprefix("sig1="))
        assert received["details"]["envelope_signature"] is None  # the HTTP signature is the written request

    def test_a_read_is_one_access_entry_with_its_signature(self, api: SignedClient, demo: Harness) -> None:
        """A status read leaves one access.read entry, signed, and consumes its nonce."""
        number = api.lookup(valid_rows(demo, 1, "READ")).json()["results"][0]["case_number"]
        before = demo.ledger.head().size
        response = api.get(f"/v1/cases/{number}", signer=COMPONENT)
        assert response.status_code == 200 and response.json()["code"] == "PENDING_RELEASE"
        assert demo.ledger.head().size == before + 1
        leaf = demo.entries()[-1]
        assert (leaf["event_type"], leaf["object"]["id"]) == ("access.read", number)
        assert leaf["request_sig"]["signature_base"].startswith('"@method": GET\n"@target-uri": ')


class TestRejectMatrix:
    def test_changed_method(self, api: SignedClient, demo: Harness) -> None:
        body = _lookup_body(demo)
        _refused(demo, lambda: api.send("POST", LOOKUP, body=body, content_type="application/json",
                                        sign_as=("PUT", LOOKUP)), "AUTH_BAD_SIGNATURE")  # fmt: skip

    def test_changed_path(self, api: SignedClient, demo: Harness) -> None:
        _refused(demo, lambda: api.get("/v1/cases/C0000000002", sign_as=("GET", "/v1/cases/C0000000001")),
                 "AUTH_BAD_SIGNATURE")  # fmt: skip

    def test_changed_query(self, api: SignedClient, demo: Harness) -> None:
        signed = ("GET", "/v1/batches/B1/results?format=csv")
        _refused(
            demo, lambda: api.get("/v1/batches/B1/results?format=jsonl", sign_as=signed), "AUTH_BAD_SIGNATURE"
        )

    def test_changed_content_type(self, api: SignedClient, demo: Harness) -> None:
        body = _lookup_body(demo)

        def swap(headers: dict[str, str]) -> dict[str, str]:
            return {**headers, "Content-Type": "text/plain"}

        _refused(demo, lambda: api.send("POST", LOOKUP, body=body, content_type="application/json", mutate=swap),
                 "AUTH_BAD_SIGNATURE")  # fmt: skip

    def test_changed_body_byte(self, api: SignedClient, demo: Harness) -> None:
        body = _lookup_body(demo)
        tampered = body.replace(b"AUTH-0001", b"AUTH-0002")
        _refused(demo, lambda: api.send("POST", LOOKUP, body=body, content_type="application/json",
                                        sent_body=tampered), "AUTH_DIGEST_MISMATCH")  # fmt: skip

    def test_changed_body_with_a_matching_digest(self, api: SignedClient, demo: Harness) -> None:
        body = _lookup_body(demo)
        tampered = body.replace(b"AUTH-0001", b"AUTH-0002")

        def redigest(headers: dict[str, str]) -> dict[str, str]:
            return {**headers, "Content-Digest": content_digest(tampered)}

        _refused(demo, lambda: api.send("POST", LOOKUP, body=body, content_type="application/json",
                                        sent_body=tampered, mutate=redigest), "AUTH_BAD_SIGNATURE")  # fmt: skip

    def _crafted(
        self, api: SignedClient, demo: Harness, *, covered: list[str], params: list[tuple[str, str | int]],
        signer: str = HEAD, url: str | None = None, extra: dict[str, str] | None = None,
    ) -> httpx.Response:  # fmt: skip
        body = _lookup_body(demo)
        headers = {
            "Content-Type": "application/json",
            "Content-Digest": content_digest(body),
            **(extra or {}),
        }
        signed = craft_signature(api.keys[signer], "POST", url or api.url(LOOKUP), headers, covered=covered,
                                 params=params)  # fmt: skip
        return api.client.request("POST", LOOKUP, content=body, headers=signed)

    @staticmethod
    def _params(**overrides: str | int | None) -> list[tuple[str, str | int]]:
        now = int(_now().timestamp())
        values: dict[str, str | int | None] = {
            "created": now, "keyid": f"{DEMO_AGREEMENT}/{HEAD}", "alg": "ed25519", "expires": now + 300,
            "nonce": new_nonce(), "tag": "custos-request-v1", **overrides,
        }  # fmt: skip
        return [(name, value) for name, value in values.items() if value is not None]

    def test_content_digest_not_covered(self, api: SignedClient, demo: Harness) -> None:
        covered = ["@method", "@target-uri", "content-type"]
        _refused(
            demo, lambda: self._crafted(api, demo, covered=covered, params=self._params()), "AUTH_COVERAGE"
        )

    def test_crafted_control_is_accepted(self, api: SignedClient, demo: Harness) -> None:
        """The hand-built signer itself is right: the same request with full coverage passes."""
        covered = ["@method", "@target-uri", "content-digest", "content-type"]
        assert self._crafted(api, demo, covered=covered, params=self._params()).status_code == 200

    def test_missing_created(self, api: SignedClient, demo: Harness) -> None:
        params = self._params(created=None)
        _refused(
            demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_PARAMETER_MISSING"
        )

    def test_created_in_the_future(self, api: SignedClient, demo: Harness) -> None:
        body = _lookup_body(demo)
        ahead = _now() + dt.timedelta(seconds=30)
        _refused(demo, lambda: api.send("POST", LOOKUP, body=body, content_type="application/json", now=ahead),
                 "AUTH_CREATED_IN_FUTURE")  # fmt: skip

    def test_created_too_long_ago(self, api: SignedClient, demo: Harness) -> None:
        params = self._params(created=int(_now().timestamp()) - 320, expires=int(_now().timestamp()) + 60)
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_STALE")

    def test_past_expires(self, api: SignedClient, demo: Harness) -> None:
        now = int(_now().timestamp())
        params = self._params(created=now - 60, expires=now - 30)
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_EXPIRED")

    def test_expires_too_far_ahead(self, api: SignedClient, demo: Harness) -> None:
        now = int(_now().timestamp())
        params = self._params(created=now, expires=now + 3600)
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_EXPIRED")

    def test_reused_nonce(self, api: SignedClient, demo: Harness) -> None:
        nonce = new_nonce()
        number = api.lookup(valid_rows(demo, 1, "NONCE")).json()["results"][0]["case_number"]
        assert api.get(f"/v1/cases/{number}", nonce=nonce).status_code == 200
        leaf = _refused(demo, lambda: api.get(f"/v1/cases/{number}", nonce=nonce), "AUTH_REPLAY")
        assert leaf["event_type"] == "request.replay_detected"

    def test_weak_nonce(self, api: SignedClient, demo: Harness) -> None:
        params = self._params(nonce="1234")
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_NONCE_WEAK")

    def test_unknown_keyid(self, api: SignedClient, demo: Harness) -> None:
        body = _lookup_body(demo)
        _refused(demo, lambda: api.send("POST", LOOKUP, body=body, content_type="application/json",
                                        keyid=f"{DEMO_AGREEMENT}/nobody"), "AUTH_KEY_UNKNOWN")  # fmt: skip

    def test_expired_key(self, api: SignedClient, demo: Harness) -> None:
        text = (demo.directory / "demo" / "agreement.toml").read_text()
        activate_variant(
            demo, text.replace(f'id = "{HEAD}"\n', f'id = "{HEAD}"\nkey_expires = 2020-01-31\n', 1)
        )
        body = _lookup_body(demo)
        _refused(
            demo,
            lambda: api.send("POST", LOOKUP, body=body, content_type="application/json"),
            "AUTH_KEY_EXPIRED",
        )

    def test_revoked_key(self, api: SignedClient, demo: Harness) -> None:
        with demo.ledger.transaction() as tx:
            revoke_key(tx, DEMO_AGREEMENT, HEAD, "smart card reported lost", OPERATOR)
        body = _lookup_body(demo)
        _refused(
            demo,
            lambda: api.send("POST", LOOKUP, body=body, content_type="application/json"),
            "AUTH_KEY_REVOKED",
        )

    def test_alg_not_the_keys(self, api: SignedClient, demo: Harness) -> None:
        """Signed with an Ed25519 key, naming the P-256 official: the registered key decides the algorithm."""
        params = self._params(keyid=f"{DEMO_AGREEMENT}/{COMPONENT}", alg="ed25519")
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_ALG_MISMATCH")

    def test_no_expected_tag(self, api: SignedClient, demo: Harness) -> None:
        params = self._params(tag=None)
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=params), "AUTH_TAG_MISSING")

    def test_spoofed_forwarded_host(self, api: SignedClient, demo: Harness) -> None:
        """A signature over another host's URL fails, whatever X-Forwarded-Host claims."""
        url = "https://evil.example" + LOOKUP
        extra = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "Host": "evil.example"}
        _refused(demo, lambda: self._crafted(api, demo, covered=FULL, params=self._params(), url=url,
                                             extra=extra), "AUTH_BAD_SIGNATURE")  # fmt: skip

    def test_unsigned(self, api: SignedClient, demo: Harness) -> None:
        _refused(demo, lambda: api.client.post(LOOKUP, content=_lookup_body(demo)), "AUTH_MISSING_SIGNATURE")
