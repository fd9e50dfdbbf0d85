"""Parser fuzzing (spec §6 test 22, the Hypothesis part): only the declared errors, never a crash.

Every parser of the offline verifier is fed arbitrary text, arbitrary bytes (decoded
with surrogateescape, so lone surrogates appear too) and small random edits of a
valid input, which get much further into each parser than random noise does.  Only
ParseError and VerificationError may come out; any other exception is a crash, and
an example slower than one second (the deadline) is a hang.  TestKnownCrashes pins
the crashes found so far as plain examples.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.ledger import verifier
from custos.ledger.merkle import MemoryTree
from custos.ledger.note import NoteSigner
from custos.ledger.verifier import Checkpoint, ParseError, VerificationError, VerifierKey

ORIGIN = "fuzz.custos.localhost/ledger/v1"
DECLARED = (ParseError, VerificationError)

FUZZ = settings(
    max_examples=300,
    deadline=1_000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

LOG_KEY = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYS = [LOG_KEY.verifier_key]
LEAVES = [b'{"seq":%d}' % i for i in range(7)]
TREE = MemoryTree(LEAVES)
CHECKPOINT_7 = LOG_KEY.sign_checkpoint(7, TREE.root())
CHECKPOINT_3 = LOG_KEY.sign_checkpoint(3, TREE.root(3))
TLOG_PROOF = (
    "c2sp.org/tlog-proof@v1\nextra ZXh0cmE=\nindex 4\n"
    + "".join(base64.b64encode(h).decode() + "\n" for h in TREE.inclusion_proof(4, 7))
    + "\n"
    + CHECKPOINT_7
)
CONSISTENCY = (
    "ledger-consistency@v1\nold 3\nnew 7\n"
    + "".join(base64.b64encode(h).decode() + "\n" for h in TREE.consistency_proof(3, 7))
    + "\n"
    + CHECKPOINT_3
    + "\n"
    + CHECKPOINT_7
)
NOTE = LOG_KEY.sign("free text\n\nwith an empty line\n")
LEAF = (
    b'{"action":"record.read","actor":{"id":"a\\n\xe2\x80\xa8","kind":"official"},'
    b'"prev_leaf_hash":null,"recorded_at":"2026-11-24T10:00:00.000Z","refs":[],"seq":0,"v":1}'
)

# Characters that matter to these formats, plus a lone surrogate and controls.
SPECIAL = ["\n", "\n\n", " ", "\u2014", "\u2014 ", "-", "+", "/", "=", "0", "9", "A", "\r", "\t", "\x00"]
SPECIAL += [
    "\ud800",
    "\udcff",
    "\u2028",
    "\x85",
    "index ",
    "old ",
    "new ",
    "extra ",
    '"',
    "{",
    "}",
    "[",
    "\\",
]
edit_text = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4))


def apply_edits(seed: str, edits: list[tuple[int, int, int, str]]) -> str:
    text = seed
    for op, a, b, insert in edits:
        i, j = sorted((a % (len(text) + 1), b % (len(text) + 1)))
        if op == 0:
            text = text[:i] + insert + text[i:]
        elif op == 1:
            text = text[:i] + text[j:]
        elif op == 2:
            text = text[:i] + insert + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


def mutations_of(seed: str) -> st.SearchStrategy[str]:
    """``seed`` after 1-4 random insertions, deletions, replacements or duplications."""
    edit = st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 10_000), edit_text)
    return st.lists(edit, min_size=1, max_size=4).map(lambda edits: apply_edits(seed, edits))


any_text = st.one_of(
    st.text(),
    st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.lists(edit_text, max_size=20).map("".join),
)


def only_declared(parse: Callable[[Any], object], value: Any) -> None:
    """Run ``parse``; ParseError and VerificationError are fine, anything else propagates."""
    with contextlib.suppress(*DECLARED):
        parse(value)


def leaf_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become invalid (CESU-8) bytes


TARGETS: dict[str, tuple[Callable[[Any], object], str]] = {
    "parse_note": (verifier.parse_note, NOTE),
    "verify_note": (lambda t: verifier.verify_note(t, KEYS), NOTE),
    "parse_body": (Checkpoint.parse_body, CHECKPOINT_7[: CHECKPOINT_7.index("\n\n") + 1]),
    "verify_checkpoint": (lambda t: verifier.verify_checkpoint(t, KEYS, ORIGIN), CHECKPOINT_7),
    "parse_tlog_proof": (verifier.parse_tlog_proof, TLOG_PROOF),
    "verify_inclusion_file": (
        lambda t: verifier.verify_inclusion_file(t, LEAVES[4], KEYS, ORIGIN),
        TLOG_PROOF,
    ),
    "parse_consistency": (verifier.parse_consistency, CONSISTENCY),
    "verify_consistency_file": (lambda t: verifier.verify_consistency_file(t, KEYS, ORIGIN), CONSISTENCY),
    "vkey": (VerifierKey.parse, LOG_KEY.vkey),
    "parse_keys": (verifier.parse_keys, f"# keys\n{LOG_KEY.vkey}\n"),
    "parse_leaf": (lambda t: verifier.parse_leaf(leaf_bytes(t)), LEAF.decode("utf-8")),
}


class TestSeeds:
    @pytest.mark.parametrize("name", sorted(TARGETS))
    def test_unmutated_seed_is_accepted(self, name: str) -> None:
        """Each fuzz seed is a valid input, so mutations start from deep inside the parser."""
        parse, seed = TARGETS[name]
        result = parse(seed)
        if isinstance(result, verifier.Report):
            assert result.ok, result.failures


class TestArbitraryText:
    @FUZZ
    @given(any_text)
    def test_parse_note(self, text: str) -> None:
        """parse_note raises only the declared errors on any text."""
        only_declared(verifier.parse_note, text)

    @FUZZ
    @given(any_text)
    def test_parse_body(self, text: str) -> None:
        """Checkpoint.parse_body raises only the declared errors on any text."""
        only_declared(Checkpoint.parse_body, text)

    @FUZZ
    @given(any_text)
    def test_parse_tlog_proof(self, text: str) -> None:
        """parse_tlog_proof raises only the declared errors on any text."""
        only_declared(verifier.parse_tlog_proof, text)

    @FUZZ
    @given(any_text)
    def test_parse_consistency(self, text: str) -> None:
        """parse_consistency raises only the declared errors on any text."""
        only_declared(verifier.parse_consistency, text)

    @FUZZ
    @given(any_text)
    def test_vkey(self, text: str) -> None:
        """VerifierKey.parse and parse_keys raise only the declared errors on any text."""
        only_declared(VerifierKey.parse, text)
        only_declared(verifier.parse_keys, text)

    @FUZZ
    @given(st.binary())
    def test_parse_leaf_binary(self, raw: bytes) -> None:
        """parse_leaf raises only the declared errors on any bytes."""
        only_declared(verifier.parse_leaf, raw)

    @FUZZ
    @given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text()), st.lists))
    def test_parse_leaf_json_shaped(self, value: object) -> None:
        """parse_leaf raises only the declared errors on JSON-shaped bytes, objects or not."""
        only_declared(verifier.parse_leaf, json.dumps({"a": value}).encode())
        only_declared(verifier.parse_leaf, json.dumps(value).encode())


class TestMutatedValidInputs:
    @FUZZ
    @given(st.data())
    @pytest.mark.parametrize("name", sorted(TARGETS))
    def test_mutations(self, name: str, data: st.DataObject) -> None:
        """A few random edits to a valid input give a result or a declared error, never a crash."""
        parse, seed = TARGETS[name]
        only_declared(parse, data.draw(mutations_of(seed), label="mutated"))


class TestKnownCrashes:
    """Crashes found while writing the fuzz tests, pinned as plain, deterministic examples."""

    def test_deeply_nested_leaf(self) -> None:
        """A leaf nested 100,000 deep is a ParseError, not a RecursionError."""
        with pytest.raises(ParseError):
            verifier.parse_leaf(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")

    def test_leaf_with_a_5000_digit_integer(self) -> None:
        """An integer too long for int() is a ParseError, not a bare ValueError."""
        with pytest.raises(ParseError):
            verifier.parse_leaf(b'{"a":' + b"1" * 5_000 + b"}")

    def test_checkpoint_size_with_5000_digits(self) -> None:
        """A checkpoint size too long for int() is a ParseError, not a bare ValueError."""
        with pytest.raises(ParseError):
            Checkpoint.parse_body(f"{ORIGIN}\n{'1' * 5_000}\n{base64.b64encode(bytes(32)).decode()}\n")

    def test_tlog_proof_index_with_5000_digits(self) -> None:
        """A tlog-proof index too long for int() is a ParseError, not a bare ValueError."""
        with pytest.raises(ParseError):
            verifier.parse_tlog_proof(f"c2sp.org/tlog-proof@v1\nindex {'1' * 5_000}\n\n{CHECKPOINT_7}")

    def test_consistency_size_with_5000_digits(self) -> None:
        """A consistency-file size too long for int() is a ParseError, not a bare ValueError."""
        with pytest.raises(ParseError):
            verifier.parse_consistency(CONSISTENCY.replace("old 3", "old " + "3" * 5_000))

    def test_signed_note_with_lone_surrogate(self) -> None:
        """A note whose text holds a lone surrogate is a ParseError, not a UnicodeEncodeError."""
        note = "free\ud800text\n\n" + NOTE[NOTE.rindex("\n\n") + 2 :]
        with pytest.raises(ParseError):
            verifier.verify_note(note, KEYS)

    def test_vkey_with_lone_surrogate_in_name(self) -> None:
        """A vkey whose name holds a lone surrogate is a ParseError, not a UnicodeEncodeError."""
        with pytest.raises(ParseError):
            VerifierKey.parse("\ud800" + LOG_KEY.vkey)
