"""C2SP signed notes, checkpoints, tlog-proof files and equivocation (spec §6 tests 8 and 10)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from custos.ledger import verifier
from custos.ledger.canonical import encode_leaf
from custos.ledger.events import Actor, ActorKind, AuditEvent, EventType, Outcome
from custos.ledger.merkle import MemoryTree
from custos.ledger.note import NoteSigner
from custos.ledger.verifier import Checkpoint, ParseError, VerificationError, VerifierKey

EM = "\u2014"
ORIGIN = "test.custos.localhost/ledger/v1"

# Copied verbatim from c2sp/signed-note.md, section "Verifier keys / Example".
EXAMPLE_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
EXAMPLE_NOTE = (
    "This is an example message.\n"
    "\n"
    "\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def signature_lines(note: str) -> str:
    """The signature block of a signed note (everything after the last blank line)."""
    return note[note.rfind("\n\n") + 2 :]


def cosigned(text: str, *signers: NoteSigner) -> str:
    """``text`` signed by every signer, signature lines in the order given."""
    return text + "\n" + "".join(signature_lines(s.sign(text)) for s in signers)


def foreign_signature(text: str, name: str, key_id: bytes) -> str:
    """A signature line for ``text`` under an arbitrary (name, key ID) by a fresh key."""
    raw = signature_lines(NoteSigner.generate(name).sign(text)).split(" ")[2].strip()
    return f"{EM} {name} {b64(key_id + base64.b64decode(raw)[4:])}\n"


def build_log(size: int, actor_ids: list[str] | None = None, reason: str | None = None) -> list[bytes]:
    """Leaves of a hash-chained log of ``size`` real canonical entries."""
    lines: list[bytes] = []
    for seq in range(size):
        actor_id = actor_ids[seq % len(actor_ids)] if actor_ids else f"official-{seq}"
        event = AuditEvent(
            event_type=EventType.ACCESS_READ,
            actor=Actor(ActorKind.OFFICIAL, actor_id, agency="agency-a"),
            action="record.read",
            outcome=Outcome.SUCCESS,
            reason_code=reason,
        )
        prev = verifier.leaf_hash(lines[-1]).hex() if lines else None
        lines.append(encode_leaf(event.to_entry(seq, f"2026-11-24T10:00:00.{seq:03d}Z", prev)))
    return lines


def root_of(lines: list[bytes], size: int | None = None) -> bytes:
    return MemoryTree(lines).root(size)


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    """The log's key, named after its origin."""
    return NoteSigner.generate(ORIGIN)


@pytest.fixture(scope="module")
def keys(signer: NoteSigner) -> list[VerifierKey]:
    """The auditor's trusted keys."""
    return [signer.verifier_key]


class TestC2spExample:
    def test_example_is_copied_verbatim_from_the_spec(self, vectors_dir: Path) -> None:
        """The vkey and the note used below appear byte for byte in signed-note.md."""
        spec = (vectors_dir / "c2sp" / "signed-note.md").read_text(encoding="utf-8")
        assert EXAMPLE_VKEY in spec
        assert EXAMPLE_NOTE in spec

    def test_example_vkey_verifies_example_note(self) -> None:
        """The spec's example key verifies the spec's example note."""
        key = VerifierKey.parse(EXAMPLE_VKEY)
        text, signers = verifier.verify_note(EXAMPLE_NOTE, [key])
        assert text == "This is an example message.\n"
        assert signers == ["example.com/foo"]

    def test_example_key_id_is_sha256_of_name_newline_type_key(self) -> None:
        """The example key ID equals SHA-256(name || 0x0A || 0x01 || pk)[:4]."""
        key = VerifierKey.parse(EXAMPLE_VKEY)
        expected = hashlib.sha256(b"example.com/foo" + b"\x0a" + b"\x01" + key.public_key).digest()[:4]
        assert key.key_id == expected == bytes.fromhex("530d903a")

    def test_example_note_with_changed_text_is_rejected(self) -> None:
        """Changing one character of the signed text makes the known signature fail."""
        with pytest.raises(VerificationError, match="does not verify"):
            verifier.verify_note(
                EXAMPLE_NOTE.replace("example", "exampl3", 1), [VerifierKey.parse(EXAMPLE_VKEY)]
            )

    def test_example_signature_is_bound_to_the_final_newline(self) -> None:
        """The signed text includes its final newline: an extra empty text line breaks the signature."""
        note = EXAMPLE_NOTE.replace("message.\n", "message.\n\n", 1)
        with pytest.raises(VerificationError, match="does not verify"):
            verifier.verify_note(note, [VerifierKey.parse(EXAMPLE_VKEY)])


class TestKeys:
    def test_key_id_is_sha256_of_name_newline_type_key(self, signer: NoteSigner) -> None:
        """A generated key's ID is SHA-256(name || 0x0A || 0x01 || pk)[:4]."""
        expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
        assert signer.key_id == expected
        assert verifier.ed25519_key_id(ORIGIN, signer.public_key) == expected

    def test_vkey_round_trips(self, signer: NoteSigner) -> None:
        """The vkey line parses back to the signer's verifier key."""
        assert VerifierKey.parse(signer.vkey) == signer.verifier_key
        material = b64(b"\x01" + signer.public_key)
        assert signer.vkey == f"{ORIGIN}+{signer.key_id.hex()}+{material}"

    def test_parse_keys_skips_comments_and_blanks(self, signer: NoteSigner) -> None:
        """A trusted-keys file may hold comments and blank lines between vkeys."""
        other = NoteSigner.generate("witness.example")
        text = f"# log key\n{signer.vkey}\n\n  # witness\n{other.vkey}\n"
        assert verifier.parse_keys(text) == [signer.verifier_key, other.verifier_key]

    def test_parse_keys_rejects_an_empty_file(self) -> None:
        """A keys file with no key is an error, not an empty trust set."""
        with pytest.raises(ParseError, match="no verifier key"):
            verifier.parse_keys("# nothing here\n\n")

    @pytest.mark.parametrize(
        ("vkey", "message"),
        [
            ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
            ("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
            ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not an Ed25519"),
            ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "base64"),
            ("example.com/foo+530d90+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not 8 lowercase hex"),
            ("example.com/foo+530d90zz+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not 8 lowercase hex"),
            ("example.com/foo+530d 903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "ID"),
            ("example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "name\\+id\\+key"),
            ("example.com/foo+530d903a", "name\\+id\\+key"),
        ],
    )
    def test_bad_vkeys_are_rejected(self, vkey: str, message: str) -> None:
        """A vkey with a wrong ID, name, type byte, encoding or shape does not parse."""
        with pytest.raises(ParseError, match=message):
            VerifierKey.parse(vkey)

    def test_vkey_with_padding_after_a_full_quantum_is_rejected(self) -> None:
        """A trailing '=' after unpadded base64 (33 bytes, 44 chars) is not standard base64."""
        with pytest.raises(ParseError, match="not standard base64"):
            VerifierKey.parse(EXAMPLE_VKEY + "=")


class TestRoundTrip:
    def test_sign_then_verify(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signed note verifies and yields its text and signer."""
        text = "custos round trip\nsecond line\n"
        assert verifier.verify_note(signer.sign(text), keys) == (text, [ORIGIN])

    def test_text_may_contain_empty_lines(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """The last blank line separates text and signatures, so the text may hold empty lines."""
        text = "first\n\nthird\n\n"
        assert verifier.verify_note(signer.sign(text), keys) == (text, [ORIGIN])

    def test_sign_checkpoint_then_verify(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signed checkpoint verifies to its origin, size and root."""
        root = hashlib.sha256(b"root").digest()
        note = signer.sign_checkpoint(12345, root)
        assert note.startswith(f"{ORIGIN}\n12345\n{b64(root)}\n\n{EM} {ORIGIN} ")
        assert verifier.verify_checkpoint(note, keys, origin=ORIGIN) == Checkpoint(ORIGIN, 12345, root)

    def test_empty_tree_checkpoint(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """Size 0 is written and accepted as a bare "0"."""
        note = signer.sign_checkpoint(0, verifier.EMPTY_ROOT)
        assert verifier.verify_checkpoint(note, keys).size == 0

    def test_extension_lines_are_accepted(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """Non-empty extension lines after the root are allowed (and ignored)."""
        body = f"{ORIGIN}\n7\n{b64(bytes(32))}\nextension line\n"
        assert verifier.verify_checkpoint(signer.sign(body), keys) == Checkpoint(ORIGIN, 7, bytes(32))


class TestUnknownSignatures:
    TEXT = "cosigned text\n"

    def test_unknown_name_with_known_id_is_ignored(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signature under the known ID but another name is ignored; the known one still counts."""
        note = (
            self.TEXT
            + "\n"
            + foreign_signature(self.TEXT, "impostor.example", signer.key_id)
            + signature_lines(signer.sign(self.TEXT))
        )
        assert verifier.verify_note(note, keys) == (self.TEXT, [ORIGIN])

    def test_unknown_id_with_known_name_is_ignored(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signature under the known name but another ID (a different key) is ignored."""
        note = cosigned(self.TEXT, NoteSigner.generate(ORIGIN), signer)
        assert verifier.verify_note(note, keys) == (self.TEXT, [ORIGIN])

    def test_unknown_keys_only_is_rejected(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A note signed only by unknown (name, ID) pairs is rejected."""
        note = (
            self.TEXT
            + "\n"
            + foreign_signature(self.TEXT, "impostor.example", signer.key_id)
            + signature_lines(NoteSigner.generate(ORIGIN).sign(self.TEXT))
        )
        with pytest.raises(VerificationError, match="no trusted key"):
            verifier.verify_note(note, keys)

    def test_known_key_with_bad_signature_rejects_the_note(
        self, signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """A known (name, ID) whose signature fails rejects the note even when another trusted key signed."""
        witness = NoteSigner.generate("witness.example")
        forged = foreign_signature(self.TEXT, ORIGIN, signer.key_id)
        note = self.TEXT + "\n" + signature_lines(witness.sign(self.TEXT)) + forged
        with pytest.raises(VerificationError, match=f"trusted key {ORIGIN} does not verify"):
            verifier.verify_note(note, [*keys, witness.verifier_key])

    def test_known_signature_over_other_text_is_rejected(
        self, signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """A genuine signature moved onto different text does not verify."""
        note = "other text\n\n" + signature_lines(signer.sign(self.TEXT))
        with pytest.raises(VerificationError, match="does not verify"):
            verifier.verify_note(note, keys)

    def test_two_trusted_signers_are_both_reported(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """Every trusted key that signed is named, in signature order."""
        witness = NoteSigner.generate("witness.example")
        note = cosigned(self.TEXT, witness, signer)
        assert verifier.verify_note(note, [*keys, witness.verifier_key]) == (
            self.TEXT,
            ["witness.example", ORIGIN],
        )


def _url_safe_differs(note: str) -> bool:
    encoded = signature_lines(note).split(" ")[2]
    return "+" in encoded or "/" in encoded


class TestRejectedNotes:
    TEXT = "a note\n"

    def test_no_signature_line(self, keys: list[VerifierKey]) -> None:
        """A note without signature lines is rejected."""
        with pytest.raises(ParseError):
            verifier.verify_note(self.TEXT + "\n", keys)

    def test_no_blank_line(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """Without the blank separator line the note does not parse."""
        with pytest.raises(ParseError, match="no blank line"):
            verifier.verify_note(signer.sign(self.TEXT).replace("\n\n", "\n"), keys)

    def test_ascii_hyphen_instead_of_em_dash(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signature line starting with '-' (U+002D) is not a signature line."""
        note = signer.sign(self.TEXT).replace(EM, "-")
        with pytest.raises(ParseError, match="em dash"):
            verifier.verify_note(note, keys)

    @pytest.mark.parametrize("dash", ["\u2013", "\u2015", "--", "\u2014\u2014"])
    def test_other_dashes_instead_of_em_dash(
        self, signer: NoteSigner, keys: list[VerifierKey], dash: str
    ) -> None:
        """En dash, horizontal bar, double hyphen and double em dash are all rejected."""
        note = signer.sign(self.TEXT).replace(EM, dash)
        with pytest.raises(ParseError, match="em dash"):
            verifier.verify_note(note, keys)

    def test_missing_final_newline(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A note whose last signature line has no newline is rejected."""
        with pytest.raises(ParseError, match="does not end with a newline"):
            verifier.verify_note(signer.sign(self.TEXT)[:-1], keys)

    def test_trailing_blank_line(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """An empty line after the signatures is not allowed."""
        with pytest.raises(ParseError):
            verifier.verify_note(signer.sign(self.TEXT) + "\n", keys)

    @pytest.mark.parametrize("char", ["\r", "\t", "\x1b", "\x00", "\x0b", "\x0c", "\x1f"])
    def test_control_character_in_signed_text(
        self, signer: NoteSigner, keys: list[VerifierKey], char: str
    ) -> None:
        """A validly signed text holding a control character other than newline is rejected."""
        note = signer.sign(f"a{char}note\n")
        with pytest.raises(ParseError, match="control character"):
            verifier.verify_note(note, keys)

    def test_crlf_line_endings(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A note converted to CRLF line endings is rejected."""
        note = signer.sign(self.TEXT).replace("\n", "\r\n")
        with pytest.raises(ParseError, match="control character"):
            verifier.verify_note(note, keys)

    def test_control_character_in_signature_line(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A tab in place of the space after the key name is rejected."""
        note = signer.sign(self.TEXT).replace(f"{ORIGIN} ", f"{ORIGIN}\t")
        with pytest.raises(ParseError, match="control character"):
            verifier.verify_note(note, keys)

    def test_url_safe_base64_signature(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signature in url-safe base64 (- and _ for + and /) is rejected."""
        note = next(n for n in (signer.sign(f"note {i}\n") for i in range(200)) if _url_safe_differs(n))
        url_safe = note[: note.rfind("\n\n") + 2] + signature_lines(note).replace("+", "-").replace("/", "_")
        assert url_safe != note
        verifier.verify_note(note, keys)
        with pytest.raises(ParseError, match="not standard base64"):
            verifier.verify_note(url_safe, keys)

    def test_unpadded_base64_signature(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A signature with its '=' padding stripped is rejected."""
        note = signer.sign(self.TEXT)
        assert note.endswith("=\n")
        with pytest.raises(ParseError, match="not standard base64"):
            verifier.verify_note(note.rstrip("=\n") + "\n", keys)

    @pytest.mark.parametrize(
        "line",
        [
            f"{EM}  {ORIGIN} AAAAAAA=\n",
            f"{EM} {ORIGIN}  AAAAAAA=\n",
            f"{EM} {ORIGIN} AAAAAAA= extra\n",
            f"{EM} {ORIGIN}\n",
            f"{EM} bad+name AAAAAAA=\n",
            f"{EM}{ORIGIN} AAAAAAA=\n",
            f"{EM} {ORIGIN} AAAA\n",
        ],
    )
    def test_malformed_signature_line(self, keys: list[VerifierKey], line: str) -> None:
        """Extra spaces, missing fields, '+' in the name or a short signature do not parse."""
        with pytest.raises(ParseError):
            verifier.verify_note(self.TEXT + "\n" + line, keys)

    def test_sixteen_signatures_are_accepted(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """The spec's minimum: a note with 16 signatures (15 unknown, 1 trusted) verifies."""
        others = [NoteSigner.generate(f"witness{i}.example") for i in range(15)]
        note = cosigned(self.TEXT, *others, signer)
        assert len(verifier.parse_note(note)[1]) == 16
        assert verifier.verify_note(note, keys) == (self.TEXT, [ORIGIN])

    def test_seventeen_signatures_are_rejected(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """One signature over the limit of 16 rejects the note, even with a trusted one among them."""
        others = [NoteSigner.generate(f"witness{i}.example") for i in range(16)]
        note = cosigned(self.TEXT, signer, *others)
        with pytest.raises(ParseError, match="17 signatures, more than the limit 16"):
            verifier.verify_note(note, keys)
        with pytest.raises(ParseError, match="more than the limit"):
            verifier.verify_checkpoint(note, keys)

    def test_configured_limit_applies(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A caller-chosen limit is honoured in both directions."""
        others = [NoteSigner.generate(f"witness{i}.example") for i in range(16)]
        note = cosigned(self.TEXT, signer, *others)
        assert verifier.verify_note(note, keys, max_signatures=17)[1] == [ORIGIN]
        with pytest.raises(ParseError, match="limit 2"):
            verifier.verify_note(cosigned(self.TEXT, signer, *others[:2]), keys, max_signatures=2)


class TestRejectedCheckpoints:
    ROOT = hashlib.sha256(b"root").digest()

    def test_size_with_leading_zero(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A validly signed checkpoint whose size has a leading zero is rejected."""
        note = signer.sign(f"{ORIGIN}\n05\n{b64(self.ROOT)}\n")
        with pytest.raises(ParseError, match="leading zeros"):
            verifier.verify_checkpoint(note, keys)

    @pytest.mark.parametrize("size", ["00", "+5", "-1", " 5", "5 ", "0x5", "", "\u0665", "5.0", "1_000"])
    def test_size_not_plain_decimal(self, size: str) -> None:
        """Only ASCII decimal digits without a leading zero, sign or padding form a size."""
        with pytest.raises(ParseError):
            Checkpoint.parse_body(f"{ORIGIN}\n{size}\n{b64(self.ROOT)}\n")

    def test_excess_base64_padding_is_rejected(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A surplus '=' after a padded root or signature is not standard base64."""
        root = hashlib.sha256(b"root").digest()
        assert b64(root).endswith("=")
        with pytest.raises(ParseError, match="not standard base64"):
            verifier.verify_checkpoint(signer.sign(f"{ORIGIN}\n5\n{b64(root)}=\n"), keys)
        note = signer.sign_checkpoint(5, root)
        with pytest.raises(ParseError, match="not standard base64"):
            verifier.verify_checkpoint(note[:-1] + "=\n", keys)

    @pytest.mark.parametrize("length", [1, 31, 33, 64])
    def test_root_of_wrong_length(self, signer: NoteSigner, keys: list[VerifierKey], length: int) -> None:
        """A validly signed checkpoint whose root is not 32 bytes is rejected."""
        note = signer.sign(f"{ORIGIN}\n5\n{b64(bytes(range(length)))}\n")
        with pytest.raises(ParseError, match=f"root has {length} bytes"):
            verifier.verify_checkpoint(note, keys)

    def test_url_safe_root(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A root in url-safe base64 is rejected even though the note signature is valid."""
        root = bytes([0xFB, 0xFF, 0xBF] * 10 + [0xFB, 0xFF])
        standard = b64(root)
        url_safe = base64.urlsafe_b64encode(root).decode()
        assert "+" in standard and "/" in standard and url_safe != standard
        assert verifier.verify_checkpoint(signer.sign(f"{ORIGIN}\n5\n{standard}\n"), keys).root == root
        with pytest.raises(ParseError, match="not standard base64"):
            verifier.verify_checkpoint(signer.sign(f"{ORIGIN}\n5\n{url_safe}\n"), keys)

    @pytest.mark.parametrize(
        "body",
        [
            f"{ORIGIN}\n5\n",
            f"\n5\n{b64(ROOT)}\n",
            f"{ORIGIN}\n\n{b64(ROOT)}\n",
            f"{ORIGIN}\n5\n{b64(ROOT)}\n\n",
            f"{ORIGIN}\n5\n{b64(ROOT)}",
            f"{ORIGIN}\n5\n{b64(ROOT)} \n",
        ],
    )
    def test_malformed_body(self, body: str) -> None:
        """Missing lines, empty lines, a missing newline or a padded root do not parse."""
        with pytest.raises(ParseError):
            Checkpoint.parse_body(body)

    def test_origin_mismatch(self, signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A checkpoint for another origin than the one the auditor expects is rejected."""
        note = signer.sign_checkpoint(5, self.ROOT)
        with pytest.raises(VerificationError, match=r"expected 'other\.example/log'"):
            verifier.verify_checkpoint(note, keys, origin="other.example/log")

    def test_key_name_differs_from_origin(self) -> None:
        """A checkpoint signed by a trusted key whose name is not the origin is rejected."""
        key = NoteSigner.generate("test.custos.localhost/other-key")
        note = key.sign(f"{ORIGIN}\n5\n{b64(self.ROOT)}\n")
        assert verifier.verify_note(note, [key.verifier_key])[1] == [key.name]
        with pytest.raises(VerificationError, match="not signed by the key of that name"):
            verifier.verify_checkpoint(note, [key.verifier_key])

    def test_no_known_signature(self, signer: NoteSigner) -> None:
        """A checkpoint from an untrusted key with the right name is rejected."""
        note = NoteSigner.generate(ORIGIN).sign_checkpoint(5, self.ROOT)
        with pytest.raises(VerificationError, match="no trusted key"):
            verifier.verify_checkpoint(note, [signer.verifier_key])


def tlog_proof(index: str, hashes: list[str], checkpoint: str, extra: str | None = None) -> str:
    header = ["c2sp.org/tlog-proof@v1"]
    if extra is not None:
        header.append(f"extra {extra}")
    return "\n".join([*header, f"index {index}", *hashes]) + "\n\n" + checkpoint


@pytest.fixture(scope="module")
def log7() -> list[bytes]:
    """A 7-entry log."""
    return build_log(7)


@pytest.fixture(scope="module")
def log6() -> list[bytes]:
    """The log the auditor is shown: 6 entries."""
    return build_log(6)


@pytest.fixture(scope="module")
def forked6() -> list[bytes]:
    """Another 6-entry history (different actors from seq 0)."""
    return build_log(6, actor_ids=["someone-else"])


class TestTlogProof:
    def test_parse_and_verify(self, log7: list[bytes], signer: NoteSigner, keys: list[VerifierKey]) -> None:
        """A well-formed proof file parses into index, hashes and note, and verifies."""
        tree = MemoryTree(log7)
        checkpoint = signer.sign_checkpoint(7, tree.root())
        proof = tree.inclusion_proof(4, 7)
        text = tlog_proof("4", [b64(h) for h in proof], checkpoint, extra=b64(b"opaque"))
        assert verifier.parse_tlog_proof(text) == (4, proof, checkpoint)
        report = verifier.verify_inclusion_file(text, log7[4], keys, ORIGIN)
        assert report.ok, report.failures

    def test_wrong_leaf_fails_verification(
        self, log7: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """The proof for seq 4 does not prove seq 3's leaf."""
        tree = MemoryTree(log7)
        text = tlog_proof(
            "4", [b64(h) for h in tree.inclusion_proof(4, 7)], signer.sign_checkpoint(7, tree.root())
        )
        report = verifier.verify_inclusion_file(text, log7[3], keys, ORIGIN)
        assert not report.ok
        assert report.failures[0]["check"] == "inclusion"

    def test_index_zero_has_no_leading_zero_issue(self, signer: NoteSigner) -> None:
        """``index 0`` is the one decimal allowed to start with 0."""
        checkpoint = signer.sign_checkpoint(1, bytes(32))
        assert verifier.parse_tlog_proof(tlog_proof("0", [], checkpoint))[0] == 0

    def test_missing_header(self, signer: NoteSigner) -> None:
        """A file without the c2sp.org/tlog-proof@v1 first line is rejected."""
        text = tlog_proof("0", [], signer.sign_checkpoint(1, bytes(32)))
        with pytest.raises(ParseError, match=r"does not start with c2sp\.org/tlog-proof@v1"):
            verifier.parse_tlog_proof(text.split("\n", 1)[1])
        with pytest.raises(ParseError, match="does not start with"):
            verifier.parse_tlog_proof(text.replace("@v1", "@v2", 1))

    def test_missing_index(self, signer: NoteSigner) -> None:
        """A file without an index line is rejected."""
        checkpoint = signer.sign_checkpoint(1, bytes(32))
        with pytest.raises(ParseError, match="no index line"):
            verifier.parse_tlog_proof("c2sp.org/tlog-proof@v1\n\n" + checkpoint)
        with pytest.raises(ParseError, match="no index line"):
            verifier.parse_tlog_proof(f"c2sp.org/tlog-proof@v1\n{b64(bytes(32))}\nindex 0\n\n" + checkpoint)

    @pytest.mark.parametrize("index", ["07", "00", "-1", "+1", " 1", "1 ", "", "one"])
    def test_bad_index(self, signer: NoteSigner, index: str) -> None:
        """An index with a leading zero, sign, padding or no digits is rejected."""
        with pytest.raises(ParseError, match="index"):
            verifier.parse_tlog_proof(tlog_proof(index, [], signer.sign_checkpoint(8, bytes(32))))

    @pytest.mark.parametrize(
        "bad",
        [
            "not base64!",
            base64.urlsafe_b64encode(bytes([0xFB, 0xFF] * 16)).decode(),
            b64(bytes(32)).rstrip("="),
            " " + b64(bytes(32)),
            b64(bytes(32)) + " ",
        ],
    )
    def test_bad_base64_hash(self, signer: NoteSigner, bad: str) -> None:
        """A proof hash that is not standard padded base64 is rejected."""
        text = tlog_proof("3", [b64(bytes(32)), bad], signer.sign_checkpoint(8, bytes(32)))
        with pytest.raises(ParseError, match="proof hash is not standard base64"):
            verifier.parse_tlog_proof(text)

    def test_bad_base64_extra(self, signer: NoteSigner) -> None:
        """The extra line must be standard base64 too."""
        with pytest.raises(ParseError, match="extra data"):
            verifier.parse_tlog_proof(tlog_proof("3", [], signer.sign_checkpoint(8, bytes(32)), extra="-_-_"))

    def test_no_blank_line(self) -> None:
        """A file without the blank line before the checkpoint is rejected."""
        with pytest.raises(ParseError, match="no blank line"):
            verifier.parse_tlog_proof("c2sp.org/tlog-proof@v1\nindex 0\n")


class TestEquivocation:
    def test_consistent_log_verifies(
        self, log6: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """Baseline: the honest log6 with its checkpoints and a retained one verifies."""
        notes = {
            "3.checkpoint": signer.sign_checkpoint(3, root_of(log6, 3)),
            "6.checkpoint": signer.sign_checkpoint(6, root_of(log6)),
        }
        report = verifier.verify_log(log6, notes, keys, ORIGIN, retained_note=notes["3.checkpoint"])
        assert report.ok, report.failures
        assert report.checkpoints_verified == 2

    def test_same_size_different_roots(
        self, log6: list[bytes], forked6: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """Two signed checkpoints of one size with different roots fail as equivocation, naming both."""
        notes = {
            "honest.checkpoint": signer.sign_checkpoint(6, root_of(log6)),
            "split-view.checkpoint": signer.sign_checkpoint(6, root_of(forked6)),
        }
        for note in notes.values():
            verifier.verify_checkpoint(note, keys, ORIGIN)
        report = verifier.verify_log(log6, notes, keys, ORIGIN)
        assert not report.ok
        equivocations = [f for f in report.failures if f["check"] == "equivocation"]
        assert len(equivocations) == 1
        assert "honest.checkpoint" in equivocations[0]["message"]
        assert "split-view.checkpoint" in equivocations[0]["message"]

    def test_same_size_different_roots_when_neither_matches(
        self, log6: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """Equivocation is reported even when the log6 matches neither root."""
        notes = {
            "a.checkpoint": signer.sign_checkpoint(6, hashlib.sha256(b"a").digest()),
            "b.checkpoint": signer.sign_checkpoint(6, hashlib.sha256(b"b").digest()),
        }
        report = verifier.verify_log(log6, notes, keys, ORIGIN)
        checks = {f["check"] for f in report.failures}
        assert {"equivocation", "root_mismatch"} <= checks

    def test_newer_checkpoint_inconsistent_with_older(
        self, log6: list[bytes], forked6: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """An older checkpoint of the shown log6 and a newer one of a rewritten log6 cannot both verify."""
        notes = {
            "3.checkpoint": signer.sign_checkpoint(3, root_of(log6, 3)),
            "6.checkpoint": signer.sign_checkpoint(6, root_of(forked6)),
        }
        for lines, bad in ((log6, "6.checkpoint"), (forked6, "3.checkpoint")):
            report = verifier.verify_log(lines, notes, keys, ORIGIN)
            assert not report.ok
            assert [f["check"] for f in report.failures] == ["root_mismatch"]
            assert bad in report.failures[0]["message"]

    def test_retained_checkpoint_with_other_root(
        self, log6: list[bytes], forked6: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """A retained checkpoint with another root at its size fails as retained_root_mismatch."""
        retained = signer.sign_checkpoint(4, root_of(forked6, 4))
        notes = {"6.checkpoint": signer.sign_checkpoint(6, root_of(log6))}
        report = verifier.verify_log(log6, notes, keys, ORIGIN, retained_note=retained)
        assert not report.ok
        assert [f["check"] for f in report.failures] == ["retained_root_mismatch"]
        assert report.first_bad_seq == 3
        assert report.retained_checkpoint == {"size": 4, "root": root_of(forked6, 4).hex()}

    def test_retained_checkpoint_larger_than_log(
        self, log6: list[bytes], signer: NoteSigner, keys: list[VerifierKey]
    ) -> None:
        """A retained checkpoint larger than the log6 shown is a size regression."""
        retained = signer.sign_checkpoint(7, root_of([*log6, b"x"]))
        notes = {"6.checkpoint": signer.sign_checkpoint(6, root_of(log6))}
        report = verifier.verify_log(log6, notes, keys, ORIGIN, retained_note=retained)
        assert [f["check"] for f in report.failures] == ["size_regression"]
        assert "size regression vs retained checkpoint" in report.failures[0]["message"]

    def test_cli_exits_1_and_names_both(
        self,
        tmp_path: Path,
        log6: list[bytes],
        forked6: list[bytes],
        signer: NoteSigner,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """``ledger-verify bundle`` exits 1 on equivocation and its JSON report names both checkpoints."""
        bundle = tmp_path / "bundle"
        (bundle / "checkpoints").mkdir(parents=True)
        (bundle / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in log6))
        (bundle / "checkpoints" / "6-a.checkpoint").write_text(signer.sign_checkpoint(6, root_of(log6)))
        (bundle / "checkpoints" / "6-b.checkpoint").write_text(signer.sign_checkpoint(6, root_of(forked6)))
        keys_file = tmp_path / "trusted-keys.txt"
        keys_file.write_text(signer.vkey + "\n")
        code = verifier.main(["bundle", str(bundle), "--keys", str(keys_file), "--origin", ORIGIN])
        report = json.loads(capsys.readouterr().out)
        assert code == 1
        assert report["ok"] is False
        assert report["first_failed_check"] == "equivocation"
        assert "6-a.checkpoint" in report["failures"][0]["message"]
        assert "6-b.checkpoint" in report["failures"][0]["message"]
