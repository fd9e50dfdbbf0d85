"""RFC 8785 canonical leaves: verifier encoder vs rfc8785, strict parsing, log injection (test 24)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.errors import LedgerError
from custos.ledger import verifier
from custos.ledger.canonical import encode_leaf
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, Outcome
from custos.ledger.merkle import MemoryTree
from custos.ledger.note import NoteSigner
from custos.ledger.verifier import ParseError

ORIGIN = "test.custos.localhost/ledger/v1"
SAFE = 2**53 - 1  # Number.MAX_SAFE_INTEGER, the bound of rfc8785 and of I-JSON

# Characters that break naive line-oriented logs or naive JSON encoders.
AWKWARD = [
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x08",
    "\x0c",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    '"',
    "\\",
    "/",
    "<",
    "\ufeff",
    "\ufffd",
    "\ud7ff",
    "\ue000",
    "\U0001f600",
    "\U0010ffff",
    "\x1b[31m",
    "\x1b[0m",
]

# Any Unicode scalar values (no surrogates: they are not valid Unicode), mixed with AWKWARD.
unicode_text = st.lists(
    st.one_of(st.text(st.characters(codec="utf-8"), max_size=8), st.sampled_from(AWKWARD)), max_size=4
).map("".join)
snake_keys = st.builds(
    str.__add__,
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", max_size=8),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-SAFE, SAFE),
    st.sampled_from([0, -1, SAFE, -SAFE, SAFE - 1]),
    unicode_text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(snake_keys, children, max_size=5),
    ),
    max_leaves=15,
)
json_objects = st.dictionaries(snake_keys, json_values, max_size=8)


class TestDifferential:
    @settings(max_examples=1_000, deadline=None)
    @given(json_values)
    def test_canonical_json_equals_rfc8785(self, value: Any) -> None:
        """The verifier's stdlib encoder gives exactly rfc8785's bytes for every allowed value."""
        assert verifier.canonical_json(value) == rfc8785.dumps(value)

    @settings(max_examples=500, deadline=None)
    @given(json_objects)
    def test_parse_leaf_round_trips(self, value: dict[str, Any]) -> None:
        """encode_leaf gives rfc8785's bytes and parse_leaf returns the same object from them."""
        encoded = encode_leaf(value)
        assert encoded == rfc8785.dumps(value) == verifier.canonical_json(value)
        parsed = verifier.parse_leaf(encoded)
        assert parsed == value
        assert verifier.canonical_json(parsed) == encoded

    @settings(max_examples=200, deadline=None)
    @given(json_objects)
    def test_one_leaf_is_one_line(self, value: dict[str, Any]) -> None:
        """JCS escapes every control character, so no leaf contains a newline byte."""
        assert b"\n" not in encode_leaf(value)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("\u2028\u2029", '"\u2028\u2029"'),
            ("\x1b[31m", '"\\u001b[31m"'),
            ("\x7f", '"\x7f"'),
            ("\n\r\t\b\f", '"\\n\\r\\t\\b\\f"'),
            ("\x00\x1f", '"\\u0000\\u001f"'),
            ('"\\/', '"\\"\\\\/"'),
            ("é\U0001f600", '"é\U0001f600"'),
            ({"b": 1, "a": [True, None, -SAFE]}, '{"a":[true,null,-9007199254740991],"b":1}'),
            ({"a_1": 0, "a": 1, "a0": 2, "a_": 3}, '{"a":1,"a0":2,"a_":3,"a_1":0}'),
        ],
    )
    def test_known_encodings(self, value: Any, expected: str) -> None:
        """Hand-checked RFC 8785 output: raw U+2028, DEL and non-ASCII, lowercase \\u00xx, key order."""
        assert verifier.canonical_json(value) == expected.encode("utf-8") == rfc8785.dumps(value)


class TestEncodeLeafRejects:
    @pytest.mark.parametrize(
        "value",
        [1.0, 0.5, -0.0, float("nan"), float("inf"), float("-inf"), 1e300],
        ids=["1.0", "0.5", "-0.0", "nan", "inf", "-inf", "1e300"],
    )
    def test_floats(self, value: float) -> None:
        """No float, not even an integral one, enters a leaf."""
        with pytest.raises(LedgerError, match="float"):
            encode_leaf({"value": value})
        with pytest.raises(LedgerError, match="float"):
            encode_leaf({"nested": [{"value": value}]})

    @pytest.mark.parametrize("value", [SAFE + 2, -SAFE - 2, 2**64, -(2**100)])
    def test_integers_beyond_2_53(self, value: int) -> None:
        """Integers beyond +-2**53 are refused, nested or not."""
        with pytest.raises(LedgerError, match="outside"):
            encode_leaf({"value": value})
        with pytest.raises(LedgerError, match="outside"):
            encode_leaf({"list": [0, value]})

    def test_max_safe_integers_are_allowed(self) -> None:
        """+-(2**53 - 1), the largest safe integers, are encoded."""
        assert encode_leaf({"hi": SAFE, "lo": -SAFE}) == b'{"hi":9007199254740991,"lo":-9007199254740991}'

    @pytest.mark.parametrize("value", [2**53, -(2**53)])
    def test_2_53_itself_is_refused_as_ledger_error(self, value: int) -> None:
        """+-2**53 is not a safe integer (2**53 + 1 rounds to it): LedgerError, not rfc8785's own error."""
        with pytest.raises(LedgerError, match="outside"):
            encode_leaf({"value": value})

    @pytest.mark.parametrize(
        "key",
        [
            "Actor",
            "actorId",
            "actor-id",
            "actor id",
            "1actor",
            "_actor",
            "",
            "ключ",
            "é",
            "a.b",
            "a\n",
            "a\t",
        ],
    )
    def test_non_snake_keys(self, key: str) -> None:
        """Keys must be snake_case ASCII, at the top level and nested."""
        with pytest.raises(LedgerError, match="snake_case"):
            encode_leaf({key: 1})
        with pytest.raises(LedgerError, match="snake_case"):
            encode_leaf({"outer": {key: 1}})

    def test_non_string_key(self) -> None:
        """An integer key is not silently turned into a string."""
        with pytest.raises(LedgerError, match="snake_case"):
            encode_leaf({1: "one"})  # type: ignore[dict-item]

    @pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\udc80"])
    def test_lone_surrogates(self, text: str) -> None:
        """A lone surrogate is not Unicode and is refused rather than mangled."""
        with pytest.raises(LedgerError, match="surrogate"):
            encode_leaf({"value": text})
        with pytest.raises(LedgerError, match="surrogate"):
            encode_leaf({"list": ["ok", text]})

    @pytest.mark.parametrize("value", [b"bytes", {1, 2}, object()], ids=["bytes", "set", "object"])
    def test_other_types(self, value: object) -> None:
        """Only JSON's own types are encoded."""
        with pytest.raises(LedgerError):
            encode_leaf({"value": value})


class TestParseLeafRejects:
    @pytest.mark.parametrize(
        "line",
        [
            pytest.param(b'{"a": 1}', id="space-after-colon"),
            pytest.param(b'{"a":1, "b":2}', id="space-after-comma"),
            pytest.param(b' {"a":1}', id="leading-space"),
            pytest.param(b'{"a":1} ', id="trailing-space"),
            pytest.param(b'{"a":1}\n', id="trailing-newline"),
            pytest.param(b'{"a":1}\r\n', id="trailing-crlf"),
            pytest.param(b'{\n"a":1}', id="inner-newline"),
            pytest.param(b'{"b":1,"a":2}', id="unsorted-keys"),
            pytest.param(b'{"a":"\\u0041"}', id="escaped-A"),
            pytest.param(b'{"a":"\\/"}', id="escaped-slash"),
            pytest.param(b'{"a":"\\u00e9"}', id="escaped-non-ascii"),
            pytest.param(b'{"a":"\\u2028"}', id="escaped-u2028"),
            pytest.param(b'{"a":"\\u001B"}', id="uppercase-hex-escape"),
            pytest.param(b'{"a":"\\u000a"}', id="long-form-newline"),
            pytest.param(b'{"a":"\x1b"}', id="raw-control-char"),
            pytest.param(b'{"a":"\\ud83d\\ude00"}', id="escaped-surrogate-pair"),
            pytest.param(b'{"a":"\\ud800"}', id="escaped-lone-surrogate"),
            pytest.param(b'{"a":1,"a":1}', id="duplicate-key"),
            pytest.param(b'{"a":{"b":1,"b":2}}', id="nested-duplicate-key"),
            pytest.param(b'{"a":1.0}', id="float-1.0"),
            pytest.param(b'{"a":1e2}', id="float-exponent"),
            pytest.param(b'{"a":-0.0}', id="negative-zero-float"),
            pytest.param(b'{"a":-0}', id="negative-zero-int"),
            pytest.param(b'{"a":01}', id="leading-zero"),
            pytest.param(b'{"a":NaN}', id="NaN"),
            pytest.param(b'{"a":Infinity}', id="Infinity"),
            pytest.param(b'{"a":-Infinity}', id="-Infinity"),
            pytest.param(b'{"a":9007199254740993}', id="big-int"),
            pytest.param(b'{"a":9007199254740992}', id="2**53-not-safe"),
            pytest.param(b'{"a":-9007199254740992}', id="minus-2**53-not-safe"),
            pytest.param(b'{"a":[-9007199254740993]}', id="big-negative-int-nested"),
            pytest.param(b'{"a":true,}', id="trailing-comma"),
            pytest.param(b'{"a":"\xff"}', id="invalid-utf8"),
            pytest.param(b'{"a":"\xed\xa0\x80"}', id="utf8-encoded-surrogate"),
            pytest.param(b'{"a":"\xc0\xaf"}', id="overlong-utf8"),
            pytest.param(b'\xef\xbb\xbf{"a":1}', id="bom"),
            pytest.param(b'{"A":1}', id="uppercase-key"),
            pytest.param(b'{"a-b":1}', id="dashed-key"),
            pytest.param(b'{"a\\n":1}', id="key-with-escaped-newline"),
            pytest.param(b'[{"a":1}]', id="array"),
            pytest.param(b'"a"', id="string"),
            pytest.param(b"null", id="null"),
            pytest.param(b"", id="empty"),
            pytest.param(b'{"a":1}{"b":2}', id="two-objects"),
        ],
    )
    def test_non_canonical_or_invalid(self, line: bytes) -> None:
        """Anything but the exact canonical bytes of an allowed object is a ParseError."""
        with pytest.raises(ParseError):
            verifier.parse_leaf(line)

    def test_messages_name_the_problem(self) -> None:
        """The most common rejections say what is wrong."""
        with pytest.raises(ParseError, match="not RFC 8785 canonical"):
            verifier.parse_leaf(b'{"b":1,"a":2}')
        with pytest.raises(ParseError, match="duplicate key 'a'"):
            verifier.parse_leaf(b'{"a":1,"a":2}')
        with pytest.raises(ParseError, match="no floats"):
            verifier.parse_leaf(b'{"a":1.0}')
        with pytest.raises(ParseError, match="non-finite number NaN"):
            verifier.parse_leaf(b'{"a":NaN}')
        with pytest.raises(ParseError, match="outside"):
            verifier.parse_leaf(b'{"a":9007199254740993}')
        with pytest.raises(ParseError, match="not UTF-8"):
            verifier.parse_leaf(b'{"a":"\xff"}')
        with pytest.raises(ParseError, match="snake_case"):
            verifier.parse_leaf(b'{"A":1}')

    def test_canonical_forms_of_the_same_values_parse(self) -> None:
        """The canonical forms of the rejected examples above are accepted."""
        for line in [
            b'{"a":1}',
            b'{"a":"A"}',
            b'{"a":"/"}',
            '{"a":"é\u2028"}'.encode(),
            b'{"a":"\\u001b"}',
            b'{"a":"\\n"}',
            '{"a":"\U0001f600"}'.encode(),
            b'{"a":0}',
            b'{"a":9007199254740991}',
            b'{"a":-9007199254740991}',
            b"{}",
        ]:
            assert verifier.canonical_json(verifier.parse_leaf(line)) == line


# --- Log injection (spec §6 test 24, ASVS 16.4.1). ------------------------------

HOSTILE_IDS = [
    'alice\n{"seq":99}',
    "bob\u2028carol",
    "dave\u2029eve",
    'mallory" , "admin": true',
    "\x1b[31mred\x1b[0m\x1b[2J",
    "trent\r\nX-Injected: yes",
    "nul\x00byte",
    "back\\slash\\n",
    "\u202eevil-rtl",
]


def build_log(actor_ids: list[str], reasons: list[str | None]) -> list[bytes]:
    """A hash-chained log whose actors and reason codes are the given strings."""
    lines: list[bytes] = []
    for seq, (actor_id, reason) in enumerate(zip(actor_ids, reasons, strict=True)):
        event = AuditEvent(
            event_type=EventType.DISCLOSURE_DENIED,
            actor=Actor(ActorKind.OFFICIAL, actor_id, agency=actor_id, keyid=actor_id),
            action="disclosure.request",
            outcome=Outcome.DENIED,
            reason_code=reason,
            details={"note": reason},
        )
        prev = verifier.leaf_hash(lines[-1]).hex() if lines else None
        lines.append(encode_leaf(event.to_entry(seq, f"2026-11-24T10:00:00.{seq:03d}Z", prev)))
    return lines


class TestLogInjection:
    def test_hostile_strings_encode_to_single_lines(self) -> None:
        """Newlines, U+2028/9, quotes and ANSI escapes in actor IDs and reasons stay on one line."""
        lines = build_log(HOSTILE_IDS, list(reversed(HOSTILE_IDS)))
        for line, actor_id, reason in zip(lines, HOSTILE_IDS, reversed(HOSTILE_IDS), strict=True):
            assert b"\n" not in line
            assert b"\r" not in line
            assert b"\x1b" not in line
            assert b"\x00" not in line
            entry = verifier.parse_leaf(line)
            assert entry["actor"]["id"] == actor_id
            assert entry["reason_code"] == reason

    def test_u2028_stays_raw_so_only_byte_newlines_split(self) -> None:
        """U+2028 is raw in JCS output: splitting on b'\\n' is right, str.splitlines() would be wrong."""
        line = build_log(["bob\u2028carol"], [None])[0]
        assert "\u2028".encode() in line
        assert len(line.split(b"\n")) == 1
        assert len(line.decode("utf-8").splitlines()) > 1

    def test_verify_log_accepts_hostile_log(self) -> None:
        """A checkpointed log of hostile actor IDs and reasons verifies."""
        lines = build_log(HOSTILE_IDS, [*HOSTILE_IDS[1:], None])
        signer = NoteSigner.generate(ORIGIN)
        notes = {f"{len(lines)}.checkpoint": signer.sign_checkpoint(len(lines), MemoryTree(lines).root())}
        report = verifier.verify_log(lines, notes, [signer.verifier_key], ORIGIN)
        assert report.ok, report.failures
        assert report.entries == len(HOSTILE_IDS)
        assert report.checkpoints_verified == 1

    def test_bundle_file_round_trip(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Written as JSON Lines and read back by the CLI, the hostile log still verifies (exit 0)."""
        lines = build_log(HOSTILE_IDS, list(reversed(HOSTILE_IDS)))
        signer = NoteSigner.generate(ORIGIN)
        bundle = tmp_path / "bundle"
        (bundle / "checkpoints").mkdir(parents=True)
        (bundle / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
        (bundle / "checkpoints" / "9.checkpoint").write_text(
            signer.sign_checkpoint(len(lines), MemoryTree(lines).root()), encoding="utf-8"
        )
        keys = tmp_path / "trusted-keys.txt"
        keys.write_text(signer.vkey + "\n", encoding="utf-8")
        assert list(verifier.read_lines(bundle / "entries.jsonl")) == lines
        code = verifier.main(["bundle", str(bundle), "--keys", str(keys), "--origin", ORIGIN])
        report = json.loads(capsys.readouterr().out)
        assert (code, report["ok"], report["entries"]) == (0, True, len(lines))

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.tuples(unicode_text.filter(bool), st.one_of(st.none(), unicode_text)), min_size=1, max_size=8
        )
    )
    def test_arbitrary_actor_ids_and_reasons(self, rows: list[tuple[str, str | None]]) -> None:
        """For any actor IDs and reasons, every leaf is one line and the log verifies."""
        lines = build_log([a for a, _ in rows], [r for _, r in rows])
        assert all(b"\n" not in line for line in lines)
        signer = NoteSigner.generate(ORIGIN)
        notes = {"cp": signer.sign_checkpoint(len(lines), MemoryTree(lines).root())}
        report = verifier.verify_log(lines, notes, [signer.verifier_key], ORIGIN)
        assert report.ok, report.failures

    def test_recorded_at_with_trailing_newline_is_rejected(self) -> None:
        """recorded_at must match the RFC 3339 pattern exactly: a trailing '\\n' is not a timestamp."""
        entry = AuditEvent(
            event_type=EventType.SYSTEM_START,
            actor=Actor.system("ledger"),
            action="start",
            outcome=Outcome.SUCCESS,
        ).to_entry(0, "2026-11-24T10:00:00.000Z\n", None)
        line = encode_leaf(entry)
        signer = NoteSigner.generate(ORIGIN)
        notes = {"cp": signer.sign_checkpoint(1, MemoryTree([line]).root())}
        report = verifier.verify_log([line], notes, [signer.verifier_key], ORIGIN)
        assert not report.ok
        assert report.first_bad_seq == 0
