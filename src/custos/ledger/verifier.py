"""Offline verifier for a custos ledger: one file an auditor can read on its own.

It imports only the Python standard library and ``cryptography`` (for Ed25519),
never the rest of custos, so it can be copied out of an export bundle and run
on a machine with no network and no custos installed::

    python ledger_verify.py bundle BUNDLE_DIR --keys trusted-keys.txt \
        [--prev-checkpoint LAST_SEEN.checkpoint] [--official-keys official-keys.json]
    python ledger_verify.py inclusion SEQ.tlog-proof --leaf SEQ.leaf --keys trusted-keys.txt
    python ledger_verify.py consistency FILE.consistency --keys trusted-keys.txt
    python ledger_verify.py checkpoint FILE.checkpoint --keys trusted-keys.txt

Every command prints a JSON report and exits 0 when everything verified, 1
when something did not (the report names the first bad seq or check), 2 on a
usage error or an input file it cannot parse.

What is checked, and why:

* Each line of ``entries.jsonl`` is one leaf: RFC 8785 canonical JSON, no
  floats, integers within +-2**53, snake_case ASCII keys.  Re-encoding must
  give the identical bytes, its ``seq`` must equal its line number, and its
  ``prev_leaf_hash`` must equal the hash of the line before (a hash chain that
  pins a tampered line to its exact seq).
* The RFC 6962 Merkle tree over the leaves (leaf = SHA-256(0x00 || line),
  node = SHA-256(0x01 || left || right)) must give the root of every signed
  checkpoint in the bundle, each signed by a trusted key as a C2SP signed note.
* With ``--prev-checkpoint`` (the newest checkpoint the auditor kept from an
  earlier visit) the log must still contain that tree: a smaller log is a
  size regression, a different root at that size is a rewritten history.
* With ``--official-keys`` (``{"<agreement id>/<signer id>": [PEM, ...]}``, every
  key each requesting official was ever registered with) every official's
  signature in the log must verify offline (NIST AU-10): each RFC 9421 request
  signature over its stored signature base, which must agree with the stored
  Signature-Input and Content-Digest (the digest stands in for the body, which
  stays in the confidential store), and each signed batch envelope over its
  RFC 8785 bytes rebuilt from the leaf.  ``request.rejected_auth`` leaves
  record what a refused request presented, which may well not verify, so they
  are counted, not verified.

Formats: c2sp.org/signed-note, c2sp.org/tlog-checkpoint, c2sp.org/tlog-proof,
RFC 6962 / RFC 9162 section 2.1.3.2 and 2.1.4.2 for the proof algorithms,
RFC 9421 (HTTP Message Signatures) and RFC 8941 for the request signatures.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
SCHEMA_VERSIONS = frozenset({1})
DEFAULT_MAX_SIGNATURES = 16
MAX_SAFE_INTEGER = 2**53 - 1
EM_DASH = "\u2014"
ED25519_SIGNATURE_TYPE = b"\x01"
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
CONSISTENCY_HEADER = "ledger-consistency@v1"
RECORDED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SNAKE_KEY = re.compile(r"[a-z][a-z0-9_]*")
DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")
ALG_ED25519 = "ed25519"
ALG_ECDSA_P256 = "ecdsa-p256-sha256"
ENVELOPE_VERSION = "custos-envelope/1"
REFUSED_REQUEST = "request.rejected_auth"
REQUIRED_COMPONENTS = ('"@method"', '"@target-uri"', '"content-digest"')
SIGNATURE_PARAMS_LINE = '"@signature-params": '
_SF_KEY = r"[a-z*][a-z0-9_.*-]*"
_SF_STRING = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"'
_SF_PARAMETER = re.compile(rf";({_SF_KEY})(?:=({_SF_STRING}|[^;\s()\"]+))?")
_SF_COMPONENT = re.compile(rf"{_SF_STRING}(?:;{_SF_KEY}(?:=(?:{_SF_STRING}|[^;\s()\"]+))?)*")
_SIGNATURE_VALUE = re.compile(rf"({_SF_KEY})=:([A-Za-z0-9+/=]*):")


class ParseError(ValueError):
    """An input is not in the format it claims to be."""


class VerificationError(Exception):
    """An input parsed but does not verify."""


class OfficialSignatureError(VerificationError):
    """An official's signature recorded in a leaf does not verify (reported as its own check)."""


# ---------------------------------------------------------------------------
# RFC 6962 hashing and the RFC 9162 proof verifiers (ported from
# transparency-dev/merkle proof/verify.go, which the test vectors come from).


def leaf_hash(leaf: bytes) -> bytes:
    """Hash leaf bytes with the 0x00 domain prefix (second-preimage safe)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes with the 0x01 domain prefix."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _inclusion_shape(index: int, size: int) -> tuple[int, int]:
    """Split a proof into its inner part (below the split) and its border part."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, sibling in enumerate(proof):
        seed = node_hash(seed, sibling) if (index >> i) & 1 == 0 else node_hash(sibling, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, sibling in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = node_hash(sibling, seed)
    return seed


def _require_match(computed: bytes, expected: bytes, what: str) -> None:
    if computed != expected:
        raise VerificationError(f"{what}: computed {computed.hex()}, expected {expected.hex()}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Return the root that ``proof`` binds ``leaf`` (a leaf *hash*) to at ``index``."""
    if not 0 <= index < size:
        raise VerificationError(f"index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_SIZE:
        raise VerificationError(f"leaf hash has {len(leaf)} bytes, expected {HASH_SIZE}")
    inner, border = _inclusion_shape(index, size)
    if len(proof) != inner + border:
        raise VerificationError(f"inclusion proof has {len(proof)} hashes, expected {inner + border}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise VerificationError("inclusion proof holds a hash that is not 32 bytes")
    result = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(result, proof[inner:])


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise VerificationError unless ``proof`` shows leaf hash ``leaf`` at ``index``."""
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    _require_match(computed, root, f"root of tree size {size}")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise VerificationError unless the tree (size1, root1) is a prefix of (size2, root2)."""
    if size1 < 0 or size2 < size1:
        raise VerificationError(f"size2 {size2} is smaller than size1 {size1}")
    if size1 == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise VerificationError("sizes are equal but the proof is not empty")
        _require_match(root2, root1, f"root at size {size1}")
        return
    if not proof:
        raise VerificationError("empty consistency proof for different sizes")
    if any(len(h) != HASH_SIZE for h in proof):
        raise VerificationError("consistency proof holds a hash that is not 32 bytes")
    inner, border = _inclusion_shape(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    seed, start = proof[0], 1
    if size1 == 1 << shift:
        seed, start = root1, 0
    if len(proof) != start + inner + border:
        raise VerificationError(
            f"consistency proof has {len(proof)} hashes, expected {start + inner + border}"
        )
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _require_match(hash1, root1, f"old root at size {size1}")
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _require_match(hash2, root2, f"new root at size {size2}")


class RootAccumulator:
    """Streams leaf hashes and yields the RFC 6962 root at any size reached so far.

    It keeps only the perfect subtrees of the current size (at most log2 n hashes),
    so a bundle of any length verifies in constant memory.
    """

    def __init__(self, subtrees: Sequence[tuple[int, bytes]] = ()) -> None:
        """Start empty, or from the (width, hash) perfect subtrees of a known prefix."""
        self._stack: list[tuple[int, bytes]] = list(subtrees)
        self.size = sum(width for width, _ in self._stack)

    def append(self, hashed_leaf: bytes) -> None:
        """Add the next leaf hash, merging equal-sized perfect subtrees."""
        width, current = 1, hashed_leaf
        while self._stack and self._stack[-1][0] == width:
            _, left = self._stack.pop()
            current = node_hash(left, current)
            width *= 2
        self._stack.append((width, current))
        self.size += 1

    def root(self) -> bytes:
        """Return the root of the tree over every leaf appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


# ---------------------------------------------------------------------------
# Canonical JSON leaves (RFC 8785 restricted to strings, safe integers,
# booleans, null, arrays and objects with snake_case ASCII keys).


def _reject_constant(name: str) -> Any:
    raise ParseError(f"non-finite number {name} is not allowed")


def _reject_float(text: str) -> Any:
    raise ParseError(f"number {text} is not an integer; leaves carry no floats")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:
        raise ParseError(f"integer with {len(text)} digits is outside +-(2**53 - 1)")
    return int(text)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ParseError(f"duplicate key {key!r}")
        if not SNAKE_KEY.fullmatch(key):
            raise ParseError(f"key {key!r} is not snake_case ASCII")
        result[key] = value
    return result


def _check_integers(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ParseError(f"integer {value} is outside +-2**53")
    elif isinstance(value, list):
        for item in value:
            _check_integers(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_integers(item)


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 JSON (exact for the restricted types above)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
        return text.encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError) as exc:
        raise ParseError(f"value cannot be canonicalized: {exc}") from exc


def parse_leaf(line: bytes) -> dict[str, Any]:
    """Parse one leaf and insist that it is already in canonical form."""
    try:
        text = line.decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=_unique_object,
            parse_float=_reject_float,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
        )
    except ParseError:
        raise
    except UnicodeDecodeError as exc:
        raise ParseError(f"leaf is not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(f"leaf is not JSON: {exc.msg} at column {exc.colno}") from exc
    except (RecursionError, ValueError) as exc:
        raise ParseError(f"leaf cannot be parsed: {type(exc).__name__}") from exc
    if not isinstance(value, dict):
        raise ParseError("leaf is not a JSON object")
    _check_integers(value)
    if canonical_json(value) != line:
        raise ParseError("leaf bytes are not RFC 8785 canonical JSON")
    return value


# ---------------------------------------------------------------------------
# C2SP signed notes, verifier keys and checkpoints.


def _b64decode(text: str, what: str) -> bytes:
    """Decode standard base64 in its one canonical form (no stray padding or spaces)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise ParseError(f"{what} is not standard base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ParseError(f"{what} is not standard base64 in canonical form")
    return raw


def _require_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(f"{what} is not valid UTF-8") from exc


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def ed25519_key_id(name: str, public_key: bytes) -> bytes:
    """Key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4] (c2sp.org/signed-note)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_SIGNATURE_TYPE + public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A trusted Ed25519 note key, as a ``name+hexid+base64(0x01||key)`` vkey."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        """Parse a vkey line and check that its ID matches its key."""
        _require_utf8(vkey, "verifier key")
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not _valid_key_name(parts[0]):
            raise ParseError(f"verifier key {vkey.strip()!r} is not name+id+key")
        name, hex_id, encoded = parts
        if not HEX_KEY_ID.fullmatch(hex_id):
            raise ParseError(f"verifier key {name}: ID is not 8 lowercase hex digits")
        key_id = bytes.fromhex(hex_id)
        material = _b64decode(encoded, f"verifier key {name}")
        if len(key_id) != 4 or len(material) != 33 or material[:1] != ED25519_SIGNATURE_TYPE:
            raise ParseError(f"verifier key {name} is not an Ed25519 note key")
        public_key = material[1:]
        if ed25519_key_id(name, public_key) != key_id:
            raise ParseError(f"verifier key {name}: ID {hex_id} does not match its key")
        return cls(name, key_id, public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is this key's Ed25519 signature over ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_keys(text: str) -> list[VerifierKey]:
    """Parse a trusted-keys file: one vkey per line, ``#`` comments and blanks ignored."""
    keys = [
        VerifierKey.parse(line)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not keys:
        raise ParseError("the keys file holds no verifier key")
    return keys


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes


def parse_note(note: str, max_signatures: int = DEFAULT_MAX_SIGNATURES) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text (with final newline) and signature lines."""
    _require_utf8(note, "note")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise ParseError("note holds a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise ParseError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise ParseError("note does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > max_signatures:
        raise ParseError(f"note has {len(lines)} signatures, more than the limit {max_signatures}")
    signatures = []
    for line in lines:
        if not line.startswith(EM_DASH + " "):
            raise ParseError("signature line does not start with an em dash and a space")
        fields = line[2:].split(" ")
        if len(fields) != 2 or not _valid_key_name(fields[0]):
            raise ParseError("signature line is not '\u2014 name signature'")
        raw = _b64decode(fields[1], f"signature by {fields[0]}")
        if len(raw) < 5:
            raise ParseError(f"signature by {fields[0]} is too short")
        signatures.append(NoteSignature(fields[0], raw[:4], raw[4:]))
    return text, signatures


def verify_note(
    note: str, keys: Iterable[VerifierKey], max_signatures: int = DEFAULT_MAX_SIGNATURES
) -> tuple[str, list[str]]:
    """Return the note text and the names of the trusted keys that signed it.

    Signatures by unknown (name, ID) pairs are ignored; a known key whose
    signature fails rejects the whole note; a note no known key signed is rejected.
    """
    text, signatures = parse_note(note, max_signatures)
    known = {(k.name, k.key_id): k for k in keys}
    signers = []
    for sig in signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            continue
        if not key.verify(text.encode("utf-8"), sig.signature):
            raise VerificationError(f"signature by trusted key {sig.name} does not verify")
        signers.append(sig.name)
    if not signers:
        raise VerificationError("no trusted key signed this note")
    return text, signers


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A C2SP checkpoint body: origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse ``origin\\nsize\\nbase64(root)\\n[extension lines]``."""
        if not text.endswith("\n"):
            raise ParseError("checkpoint body does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise ParseError("checkpoint body needs origin, size and root on non-empty lines")
        origin, size_text, root_text = lines[:3]
        if not DECIMAL.fullmatch(size_text):
            raise ParseError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
        root = _b64decode(root_text, "checkpoint root")
        if len(root) != HASH_SIZE:
            raise ParseError(f"checkpoint root has {len(root)} bytes, expected {HASH_SIZE}")
        return cls(origin, int(size_text), root)


def verify_checkpoint(
    note: str,
    keys: Sequence[VerifierKey],
    origin: str | None = None,
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
) -> Checkpoint:
    """Verify a checkpoint note's signature, origin and key name; return its body."""
    text, signers = verify_note(note, keys, max_signatures)
    checkpoint = Checkpoint.parse_body(text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"checkpoint origin {checkpoint.origin!r}, expected {origin!r}")
    if checkpoint.origin not in signers:
        raise VerificationError(f"checkpoint for {checkpoint.origin!r} is not signed by the key of that name")
    return checkpoint


# ---------------------------------------------------------------------------
# Proof files.


def _decimal(text: str, what: str) -> int:
    if not DECIMAL.fullmatch(text):
        raise ParseError(f"{what} {text!r} is not a decimal without leading zeros")
    return int(text)


def parse_tlog_proof(text: str) -> tuple[int, list[bytes], str]:
    """Parse a c2sp.org/tlog-proof@v1 file into (index, proof hashes, checkpoint note)."""
    header, sep, rest = text.partition("\n\n")
    if not sep:
        raise ParseError("tlog-proof has no blank line before the checkpoint")
    lines = header.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise ParseError(f"tlog-proof does not start with {TLOG_PROOF_HEADER}")
    position = 1
    if len(lines) > 1 and lines[1].startswith("extra "):
        _b64decode(lines[1][6:], "extra data")
        position = 2
    if len(lines) <= position or not lines[position].startswith("index "):
        raise ParseError("tlog-proof has no index line")
    index = _decimal(lines[position][6:], "index")
    proof = [_b64decode(line, "proof hash") for line in lines[position + 1 :]]
    return index, proof, rest


def parse_consistency(text: str) -> tuple[int, int, list[bytes], str, str]:
    """Parse a ledger-consistency@v1 file: (old size, new size, proof, old note, new note).

    Layout: header lines, a blank line, the old checkpoint verbatim, a blank
    line, the new checkpoint verbatim.  Checkpoint bodies have no empty lines,
    so the first blank line after the header ends the old body and the next
    one ends the old signatures.
    """
    header, sep, rest = text.partition("\n\n")
    lines = header.split("\n")
    if not sep or lines[0] != CONSISTENCY_HEADER or len(lines) < 3:
        raise ParseError(f"consistency file does not start with {CONSISTENCY_HEADER}")
    if not lines[1].startswith("old ") or not lines[2].startswith("new "):
        raise ParseError("consistency file needs 'old <size>' and 'new <size>' lines")
    old, new = _decimal(lines[1][4:], "old size"), _decimal(lines[2][4:], "new size")
    proof = [_b64decode(line, "proof hash") for line in lines[3:]]
    body_end = rest.find("\n\n")
    signatures_end = rest.find("\n\n", body_end + 2)
    if body_end < 0 or signatures_end < 0:
        raise ParseError("consistency file does not hold two checkpoints")
    return old, new, proof, rest[: signatures_end + 1], rest[signatures_end + 2 :]


# ---------------------------------------------------------------------------
# Officials' signatures (AU-10): RFC 9421 request signatures and batch envelopes.

OfficialKey = Ed25519PublicKey | ec.EllipticCurvePublicKey
OfficialKeys = Mapping[str, Sequence[OfficialKey]]


def _official_alg(key: OfficialKey) -> str:
    return ALG_ED25519 if isinstance(key, Ed25519PublicKey) else ALG_ECDSA_P256


def parse_official_keys(text: str) -> dict[str, list[OfficialKey]]:
    """Parse official-keys.json: ``{"<agreement id>/<signer id>": [SubjectPublicKeyInfo PEM, ...]}``."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParseError(f"the official keys file is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ParseError("the official keys file is not a JSON object of keyid to PEM list")
    keys: dict[str, list[OfficialKey]] = {}
    for keyid, pems in value.items():
        if not isinstance(pems, list) or not all(isinstance(pem, str) for pem in pems):
            raise ParseError(f"official key {keyid!r}: expected a list of PEM strings")
        keys[keyid] = [_load_official_key(keyid, pem) for pem in pems]
    return keys


def _load_official_key(keyid: str, pem: str) -> OfficialKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise ParseError(f"official key {keyid!r}: not a SubjectPublicKeyInfo PEM public key") from exc
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ParseError(f"official key {keyid!r}: not Ed25519 or ECDSA P-256")


def _signature_bytes(text: str, what: str) -> bytes:
    """Standard base64 as custos accepted it (padding checked, spare bits not)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationError(f"{what} is not standard base64") from exc


def _verify_with_any(keys: OfficialKeys, keyid: str, alg: str, message: bytes, signature: bytes) -> None:
    """Accept ``signature`` if any key registered for ``keyid`` with algorithm ``alg`` verifies it.

    The algorithm is the key's, never the signer's choice (RFC 8725 section 2.1), so a
    claimed ``alg`` that none of the keyid's keys has is refused rather than tried.
    ECDSA signatures are DER-encoded here.
    """
    if keyid not in keys:
        raise VerificationError(f"unknown keyid {keyid!r}: the official keys file does not list it")
    candidates = [key for key in keys[keyid] if _official_alg(key) == alg]
    if not candidates:
        held = sorted({_official_alg(key) for key in keys[keyid]}) or ["no keys"]
        raise VerificationError(f"alg {alg!r} does not match the keys of {keyid!r} ({', '.join(held)})")
    for key in candidates:
        try:
            if isinstance(key, Ed25519PublicKey):
                key.verify(signature, message)
            else:
                key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            continue
        return
    raise VerificationError(f"bad signature: no key of {keyid!r} verifies it")


def _der_from_raw(signature: bytes) -> bytes:
    """RFC 9421 section 3.3.4 ECDSA signatures are r || s, 32 bytes each; cryptography verifies DER."""
    if len(signature) != 64:
        raise VerificationError(f"an {ALG_ECDSA_P256} signature has 64 bytes, not {len(signature)}")
    return encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))


def _unquote(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith('"') else value


def parse_signature_params(params: str) -> tuple[list[str], dict[str, str]]:
    """Split a ``@signature-params`` value into its covered components (as serialized) and parameters.

    Components keep their exact serialization (``"@method"``, ``"@query-param";name="q"``)
    because that is how the signature base names them.  A repeated parameter takes its last
    value (RFC 8941 section 4.2.3.2); values are strings, unquoted.
    """
    if not params.startswith("("):
        raise VerificationError("signature parameters do not start with a component list")
    components: list[str] = []
    position = 1
    while True:
        while params.startswith(" ", position):
            position += 1
        if params.startswith(")", position):
            position += 1
            break
        found = _SF_COMPONENT.match(params, position)
        if found is None or (components and params[position - 1] != " "):
            raise VerificationError("the covered component list is not an RFC 8941 inner list of strings")
        components.append(found.group())
        position = found.end()
    parameters: dict[str, str] = {}
    while position < len(params):
        found = _SF_PARAMETER.match(params, position)
        if found is None:
            raise VerificationError(f"signature parameters are malformed at character {position}")
        parameters[found.group(1)] = _unquote(found.group(2) or "")
        position = found.end()
    return components, parameters


def _text_field(record: Mapping[str, Any], name: str, what: str) -> str:
    value = record.get(name)
    if not isinstance(value, str):
        raise VerificationError(f"{what} has no string {name}")
    return value


def verify_request_signature(request_sig: Mapping[str, Any], keys: OfficialKeys) -> str:
    """Re-verify one stored RFC 9421 signature; return its keyid or raise VerificationError.

    The stored signature base is what was signed, so it must agree with the stored
    Signature-Input (its last line), Content-Digest and component list before the
    signature over it means anything.  The base is verified as the server verified it:
    its UTF-8 bytes, which are its ASCII bytes for any conforming request.
    """
    what = "request_sig"
    signature_input = _text_field(request_sig, "signature_input", what)
    signature = _text_field(request_sig, "signature", what)
    content_digest = _text_field(request_sig, "content_digest", what)
    alg = _text_field(request_sig, "alg", what)
    base = _text_field(request_sig, "signature_base", what)
    label, equals, params = signature_input.partition("=")
    if not equals or not re.fullmatch(_SF_KEY, label):
        raise VerificationError("signature_input is not <label>=<signature parameters>")
    value = _SIGNATURE_VALUE.fullmatch(signature)
    if value is None:
        raise VerificationError("signature is not <label>=:<base64>:")
    if value.group(1) != label:
        raise VerificationError(f"signature label {value.group(1)!r} differs from the input's {label!r}")
    components, parameters = parse_signature_params(params)
    lines = base.split("\n")
    if lines[-1] != SIGNATURE_PARAMS_LINE + params:
        raise VerificationError("the signature base does not end with the signature_input's parameters")
    if len(lines) - 1 != len(components) or any(
        not line.startswith(f"{component}: ") for line, component in zip(lines, components, strict=False)
    ):
        raise VerificationError("the signature base lines do not match the covered components")
    missing = [name for name in REQUIRED_COMPONENTS if name not in components]
    if missing:
        raise VerificationError(f"the signature does not cover {', '.join(missing)}")
    if f'"content-digest": {content_digest}' not in lines:
        raise VerificationError("the signature base does not hold the stored content_digest")
    keyid, claimed = parameters.get("keyid"), parameters.get("alg")
    if not keyid:
        raise VerificationError("the signature parameters carry no keyid")
    if claimed != alg:
        raise VerificationError(f"the signature parameters say alg {claimed!r}, the leaf says {alg!r}")
    raw = _signature_bytes(value.group(2), "signature")
    raw = _der_from_raw(raw) if alg == ALG_ECDSA_P256 else raw
    try:
        message = base.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise VerificationError("the signature base is not valid Unicode text") from exc
    _verify_with_any(keys, keyid, alg, message, raw)
    return keyid


# Each field an envelope's signature covers, and where a request.received leaf records it.
ENVELOPE_FIELDS = (
    ("agreement_id", "details", "agreement_id"),
    ("agreement_version", "details", "agreement_version"),
    ("signer", "actor", "id"),
    ("created", "details", "envelope_created"),
    ("nonce", "details", "envelope_nonce"),
    ("batch_digest", "object", "commitment"),
    ("batch_format", "details", "batch_format"),
    ("record_count", "details", "envelope_record_count"),
    ("alg", "details", "envelope_alg"),
)


def envelope_signing_bytes(entry: Mapping[str, Any]) -> bytes:
    """Rebuild the RFC 8785 bytes a batch envelope's signature covers from a request.received leaf."""
    signed: dict[str, Any] = {"v": ENVELOPE_VERSION}
    for name, part, key in ENVELOPE_FIELDS:
        record = entry.get(part)
        value = record.get(key) if isinstance(record, dict) else None
        if value is None:
            raise VerificationError(f"request.received does not record the envelope's {name} ({part}.{key})")
        signed[name] = value
    try:
        return canonical_json(signed)
    except ParseError as exc:
        raise VerificationError(str(exc)) from exc


def verify_envelope_signature(entry: Mapping[str, Any], keys: OfficialKeys) -> str:
    """Re-verify the envelope signature a request.received leaf records; return its keyid."""
    message = envelope_signing_bytes(entry)
    details, actor = entry["details"], entry["actor"]
    alg = _text_field(details, "envelope_alg", "details")
    keyid = f"{_text_field(details, 'agreement_id', 'details')}/{_text_field(actor, 'id', 'actor')}"
    raw = _signature_bytes(_text_field(details, "envelope_signature", "details"), "envelope_signature")
    _verify_with_any(keys, keyid, alg, message, raw)  # DER, as sign_envelope writes it
    return keyid


# ---------------------------------------------------------------------------
# Bundle verification.


@dataclass
class Report:
    """The JSON report: ``ok`` is true only when no check failed."""

    mode: str
    entries: int = 0
    checkpoints_verified: int = 0
    newest_checkpoint: dict[str, Any] | None = None
    retained_checkpoint: dict[str, Any] | None = None
    first_bad_seq: int | None = None
    root: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Counted only when officials' keys were given; None keeps them out of the report otherwise.
    request_signatures_verified: int | None = None
    envelope_signatures_verified: int | None = None
    refused_requests_not_verified: int | None = None

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def fail(self, check: str, message: str, seq: int | None = None) -> None:
        """Record a failed check; the smallest failing seq becomes first_bad_seq."""
        if len(self.failures) < 100:
            self.failures.append({"check": check, "seq": seq, "message": message})
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq

    def as_json(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict, first failure first."""
        first = self.failures[0] if self.failures else None
        signatures = (
            {
                "request_signatures_verified": self.request_signatures_verified,
                "envelope_signatures_verified": self.envelope_signatures_verified,
                "refused_requests_not_verified": self.refused_requests_not_verified,
            }
            if self.request_signatures_verified is not None
            else {}
        )
        return {
            "ok": self.ok,
            "mode": self.mode,
            "entries": self.entries,
            "checkpoints_verified": self.checkpoints_verified,
            "newest_checkpoint": self.newest_checkpoint,
            "retained_checkpoint": self.retained_checkpoint,
            "root": self.root,
            "first_bad_seq": self.first_bad_seq,
            "first_failed_check": first["check"] if first else None,
            "failures": self.failures,
            "warnings": self.warnings,
            **signatures,
        }


class EntryError(VerificationError):
    """An entry failed; ``seq`` is the entry to blame, which may be the one before."""

    def __init__(self, message: str, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


def _check_entry(entry: dict[str, Any], seq: int, prev_hash: bytes | None, prev_time: str) -> None:
    """Check one parsed entry at line ``seq``; raise EntryError naming the seq to blame."""
    if entry.get("v") not in SCHEMA_VERSIONS:
        raise EntryError(f"schema version {entry.get('v')!r} is not supported", seq)
    if entry.get("seq") == seq - 1:
        raise EntryError(f"seq {seq - 1} appears on two lines: an entry was inserted", seq - 1)
    if entry.get("seq") != seq:
        raise EntryError(f"line {seq} holds seq {entry.get('seq')!r}: an entry is missing or moved", seq)
    expected_prev = prev_hash.hex() if prev_hash is not None else None
    if entry.get("prev_leaf_hash") != expected_prev:
        raise EntryError(
            f"seq {seq - 1} does not hash to the prev_leaf_hash recorded by seq {seq}: "
            f"seq {seq - 1} was altered",
            max(seq - 1, 0),
        )
    _check_fields(entry, seq, prev_time)


def _check_fields(entry: dict[str, Any], seq: int, prev_time: str) -> None:
    recorded_at = entry.get("recorded_at")
    if not isinstance(recorded_at, str) or not RECORDED_AT.fullmatch(recorded_at):
        raise VerificationError("recorded_at is not UTC RFC 3339 with milliseconds")
    if recorded_at < prev_time:
        raise VerificationError(f"recorded_at {recorded_at} is earlier than the entry before")
    if not isinstance(entry.get("event_type"), str) or not entry["event_type"]:
        raise VerificationError("event_type is missing")
    actor = entry.get("actor")
    if not isinstance(actor, dict) or not actor.get("id") or not actor.get("kind"):
        raise VerificationError("actor kind and id are missing")
    refs = entry.get("refs", [])
    if not isinstance(refs, list) or any(
        not isinstance(r, int) or isinstance(r, bool) or not 0 <= r < seq for r in refs
    ):
        raise VerificationError("refs must be earlier seqs")


def verify_log(
    lines: Iterable[bytes],
    checkpoint_notes: Mapping[str, str],
    keys: Sequence[VerifierKey],
    origin: str | None = None,
    retained_note: str | None = None,
    *,
    allow_unsigned_tail: bool = False,
    official_keys: OfficialKeys | None = None,
) -> Report:
    """Verify a stream of leaves against signed checkpoints (and a retained one).

    ``lines`` yields each leaf's exact bytes without the newline; ``checkpoint_notes``
    maps a label (a file name) to a signed checkpoint note.  Entries after the
    newest checkpoint fail a bundle (exports always end signed) unless
    ``allow_unsigned_tail``, which the log's self-audit of its live tail sets.
    With ``official_keys`` every official's signature in the log is re-verified too.
    """
    report = Report(mode="bundle")
    if official_keys is not None:
        report.request_signatures_verified = 0
        report.envelope_signatures_verified = 0
        report.refused_requests_not_verified = 0
    checkpoints: dict[str, Checkpoint] = {}
    for label, note in sorted(checkpoint_notes.items()):
        try:
            checkpoints[label] = verify_checkpoint(note, keys, origin)
        except (ParseError, VerificationError) as exc:
            report.fail("checkpoint_signature", f"{label}: {exc}")
    retained: Checkpoint | None = None
    if retained_note is not None:
        retained = verify_checkpoint(retained_note, keys, origin)
        report.retained_checkpoint = {"size": retained.size, "root": retained.root.hex()}
    wanted = {c.size for c in checkpoints.values()} | ({retained.size} if retained else set())
    roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in wanted else {}

    tree = RootAccumulator()
    prev_hash: bytes | None = None
    prev_time = ""
    for seq, line in enumerate(lines):
        try:
            entry = parse_leaf(line)
            _check_entry(entry, seq, prev_hash, prev_time)
            prev_time = entry["recorded_at"]
            if official_keys is not None:
                _check_official_signatures(report, entry, seq, official_keys)
        except EntryError as exc:
            report.fail("entry", str(exc), exc.seq)
        except OfficialSignatureError as exc:
            report.fail("official_signature", f"seq {seq}: {exc}", seq)
        except (ParseError, VerificationError) as exc:
            report.fail("entry", f"seq {seq}: {exc}", seq)
        prev_hash = leaf_hash(line)
        tree.append(prev_hash)
        if tree.size in wanted:
            roots[tree.size] = tree.root()
    report.entries = tree.size
    report.root = tree.root().hex()
    _check_checkpoints(report, checkpoints, roots, tree.size, allow_unsigned_tail)
    if retained is not None:
        _check_retained(report, retained, checkpoints, roots, tree.size)
    return report


def _presented_only(entry: Mapping[str, Any]) -> bool:
    """Whether a leaf's request_sig is only what a refused request presented, never verified.

    A request refused at authentication was refused because its signature may not verify;
    one refused before authentication (say, for an oversized body) records what it
    presented without the signature base that only verification builds.  Neither did
    anything, so neither is held to a signature.
    """
    if entry.get("event_type") == REFUSED_REQUEST:
        return True
    request_sig = entry.get("request_sig")
    return (
        entry.get("event_type") == "request.rejected"
        and entry.get("outcome") == "denied"
        and isinstance(request_sig, dict)
        and request_sig.get("signature_base") is None
    )


def _check_official_signatures(
    report: Report, entry: Mapping[str, Any], seq: int, keys: OfficialKeys
) -> None:
    """Re-verify the officials' signatures one entry records, counting them in the report."""
    request_sig = entry.get("request_sig")
    if request_sig is not None and _presented_only(entry):
        report.refused_requests_not_verified = (report.refused_requests_not_verified or 0) + 1
    elif request_sig is not None:
        if not isinstance(request_sig, dict):
            raise OfficialSignatureError("request_sig is not an object")
        try:
            verify_request_signature(request_sig, keys)
        except VerificationError as exc:
            raise OfficialSignatureError(f"request signature: {exc}") from exc
        report.request_signatures_verified = (report.request_signatures_verified or 0) + 1
    details = entry.get("details")
    if (
        entry.get("event_type") == "request.received"
        and isinstance(details, dict)
        and details.get("envelope_signature") is not None
    ):
        try:
            verify_envelope_signature(entry, keys)
        except VerificationError as exc:
            raise OfficialSignatureError(f"envelope signature: {exc}") from exc
        report.envelope_signatures_verified = (report.envelope_signatures_verified or 0) + 1


def _check_checkpoints(
    report: Report,
    checkpoints: Mapping[str, Checkpoint],
    roots: Mapping[int, bytes],
    size: int,
    allow_unsigned_tail: bool,
) -> None:
    by_size: dict[int, tuple[str, Checkpoint]] = {}
    for label, cp in sorted(checkpoints.items(), key=lambda item: item[1].size):
        if cp.size in by_size and by_size[cp.size][1].root != cp.root:
            report.fail(
                "equivocation", f"{by_size[cp.size][0]} and {label} sign size {cp.size} with different roots"
            )
            continue
        by_size[cp.size] = (label, cp)
        if cp.size > size:
            report.fail("truncated", f"{label} covers {cp.size} entries but the log has {size}", size)
        elif roots[cp.size] != cp.root:
            report.fail(
                "root_mismatch",
                f"{label}: recomputed root at size {cp.size} is {roots[cp.size].hex()}, "
                f"signed root is {cp.root.hex()}",
                max(cp.size - 1, 0),
            )
        else:
            report.checkpoints_verified += 1
    if not by_size:
        report.fail("no_checkpoint", "the bundle holds no verifiable checkpoint")
        return
    newest = max(by_size)
    report.newest_checkpoint = {"size": newest, "root": by_size[newest][1].root.hex()}
    if newest < size and not allow_unsigned_tail:
        # custos signs a checkpoint at every export, so a healthy bundle never ends unsigned.
        report.fail(
            "unsigned_tail",
            f"entries {newest} to {size - 1} are not covered by any signed checkpoint",
            newest,
        )


def _check_retained(
    report: Report,
    retained: Checkpoint,
    checkpoints: Mapping[str, Checkpoint],
    roots: Mapping[int, bytes],
    size: int,
) -> None:
    newest = max((c.size for c in checkpoints.values()), default=0)
    if retained.size > size or retained.size > newest:
        report.fail(
            "size_regression",
            f"size regression vs retained checkpoint: retained size {retained.size}, "
            f"log has {size} entries and newest checkpoint {newest}",
            min(size, newest),
        )
    elif roots[retained.size] != retained.root:
        report.fail(
            "retained_root_mismatch",
            f"the log no longer has the retained tree of size {retained.size}: history was rewritten",
            max(retained.size - 1, 0),
        )


def read_lines(path: Path) -> Iterable[bytes]:
    """Yield the exact bytes of each line of a JSON Lines file (split on b'\\n' only)."""
    with path.open("rb") as handle:
        pending = b""
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            yield from parts
        if pending:
            yield pending


def verify_bundle(
    directory: Path,
    keys: Sequence[VerifierKey],
    origin: str | None = None,
    retained_note: str | None = None,
    official_keys: OfficialKeys | None = None,
) -> Report:
    """Verify an export bundle directory (entries.jsonl plus checkpoints/), and officials' signatures."""
    entries = directory / "entries.jsonl"
    if not entries.is_file():
        raise ParseError(f"{entries} does not exist")
    notes = {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((directory / "checkpoints").glob("*.checkpoint"))
    }
    report = verify_log(read_lines(entries), notes, keys, origin, retained_note, official_keys=official_keys)
    with entries.open("rb") as handle:
        if handle.seek(0, 2) and (handle.seek(-1, 2), handle.read(1))[1] != b"\n":
            report.fail("entry", "entries.jsonl does not end with a newline", report.entries - 1)
    return report


def verify_inclusion_file(
    proof_text: str, leaf: bytes, keys: Sequence[VerifierKey], origin: str | None = None
) -> Report:
    """Verify a tlog-proof file for the given leaf bytes."""
    report = Report(mode="inclusion")
    index, proof, note = parse_tlog_proof(proof_text)
    try:
        checkpoint = verify_checkpoint(note, keys, origin)
        report.newest_checkpoint = {"size": checkpoint.size, "root": checkpoint.root.hex()}
        entry = parse_leaf(leaf)
        if entry.get("seq") != index:
            raise VerificationError(f"leaf holds seq {entry.get('seq')!r}, proof is for {index}")
        verify_inclusion(index, checkpoint.size, leaf_hash(leaf), proof, checkpoint.root)
        report.entries = 1
    except (ParseError, VerificationError) as exc:
        report.fail("inclusion", str(exc), index)
    return report


def verify_consistency_file(text: str, keys: Sequence[VerifierKey], origin: str | None = None) -> Report:
    """Verify a ledger-consistency@v1 file: two signed checkpoints and the proof between them."""
    report = Report(mode="consistency")
    old_size, new_size, proof, old_note, new_note = parse_consistency(text)
    try:
        old = verify_checkpoint(old_note, keys, origin)
        new = verify_checkpoint(new_note, keys, origin)
        report.retained_checkpoint = {"size": old.size, "root": old.root.hex()}
        report.newest_checkpoint = {"size": new.size, "root": new.root.hex()}
        if (old.size, new.size) != (old_size, new_size):
            raise VerificationError("the sizes in the header do not match the checkpoints")
        verify_consistency(old.size, new.size, proof, old.root, new.root)
        report.checkpoints_verified = 2
    except (ParseError, VerificationError) as exc:
        report.fail("consistency", f"old checkpoint size {old_size} and new size {new_size}: {exc}")
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger_verify", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, target in (
        ("bundle", "DIR"),
        ("inclusion", "PROOF"),
        ("consistency", "FILE"),
        ("checkpoint", "FILE"),
    ):
        sub = commands.add_parser(name)
        sub.add_argument("target", metavar=target, type=Path)
        sub.add_argument("--keys", type=Path, required=True, help="trusted-keys.txt, obtained out of band")
        sub.add_argument("--origin", help="the log origin to accept (default: any trusted key's)")
        if name == "bundle":
            sub.add_argument("--prev-checkpoint", type=Path, help="the newest checkpoint you kept")
            sub.add_argument(
                "--official-keys", type=Path, help="official-keys.json: re-verify every official's signature"
            )
        if name == "inclusion":
            sub.add_argument("--leaf", type=Path, required=True, help="file holding the leaf line")
    return parser


def run(args: argparse.Namespace) -> Report:
    """Run one verifier command; raises ParseError on unreadable input."""
    try:
        keys = parse_keys(args.keys.read_text(encoding="utf-8"))
        if args.command == "bundle":
            retained = args.prev_checkpoint.read_text(encoding="utf-8") if args.prev_checkpoint else None
            official = (
                parse_official_keys(args.official_keys.read_text(encoding="utf-8"))
                if args.official_keys
                else None
            )
            return verify_bundle(args.target, keys, args.origin, retained, official)
        text = args.target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(str(exc)) from exc
    if args.command == "inclusion":
        leaf = args.leaf.read_bytes().rstrip(b"\n")
        return verify_inclusion_file(text, leaf, keys, args.origin)
    if args.command == "consistency":
        return verify_consistency_file(text, keys, args.origin)
    report = Report(mode="checkpoint")
    try:
        checkpoint = verify_checkpoint(text, keys, args.origin)
        report.newest_checkpoint = {"size": checkpoint.size, "root": checkpoint.root.hex()}
        report.checkpoints_verified = 1
    except VerificationError as exc:
        report.fail("checkpoint_signature", str(exc))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: prints the JSON report, returns 0, 1 or 2."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        report = run(args)
    except (ParseError, VerificationError) as exc:
        print(json.dumps({"ok": False, "mode": args.command, "error": str(exc)}, indent=2))
        return 2
    print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
