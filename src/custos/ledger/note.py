"""The log's Ed25519 signing key and C2SP signed-note checkpoints.

The key lives in a file outside the database (mode 0600, refused if anyone
else can read it), in the note "skey" format
``PRIVATE+KEY+<name>+<hex key id>+base64(0x01 || seed)``, so the same file
works with the Go note tools.  Its key name is the log origin, as
c2sp.org/tlog-checkpoint recommends.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custos.errors import ConfigError
from custos.ledger.verifier import (
    ED25519_SIGNATURE_TYPE,
    EM_DASH,
    Checkpoint,
    VerifierKey,
    ed25519_key_id,
)

_SKEY_PREFIX = "PRIVATE+KEY+"


class NoteSigner:
    """Signs note texts with one Ed25519 key under one key name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not name or "+" in name or any(c.isspace() for c in name):
            raise ConfigError(f"key name {name!r} must be non-empty, without spaces or '+'")
        self.name = name
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = ed25519_key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def verifier_key(self) -> VerifierKey:
        """The public half, as auditors hold it."""
        return VerifierKey(self.name, self.key_id, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key line for trusted-keys.txt."""
        encoded = base64.b64encode(ED25519_SIGNATURE_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def sign(self, text: str) -> str:
        """Return ``text`` (ending in a newline) as a signed note."""
        if not text.endswith("\n"):
            raise ValueError("note text must end with a newline")
        signature = self._private_key.sign(text.encode("utf-8"))
        encoded = base64.b64encode(self.key_id + signature).decode()
        return f"{text}\n{EM_DASH} {self.name} {encoded}\n"

    def sign_checkpoint(self, size: int, root: bytes) -> str:
        """Sign the checkpoint body ``origin, size, root`` with origin = key name."""
        body = f"{self.name}\n{size}\n{base64.b64encode(root).decode()}\n"
        Checkpoint.parse_body(body)
        return self.sign(body)

    def save(self, path: Path) -> None:
        """Write the key to a new file readable by its owner only."""
        seed = self._private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        encoded = base64.b64encode(ED25519_SIGNATURE_TYPE + seed).decode()
        line = f"{_SKEY_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}\n"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> NoteSigner:
        """Read a key file, refusing one that group or others can read."""
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the ledger signing key {path}: {exc}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"ledger signing key {path} has mode {stat.S_IMODE(mode):o}; "
                f"only its owner may read it: run chmod 600 {path}"
            )
        parts = text.removeprefix(_SKEY_PREFIX).split("+", 2)
        if not text.startswith(_SKEY_PREFIX) or len(parts) != 3:
            raise ConfigError(f"{path} is not a note signing key (PRIVATE+KEY+name+id+key)")
        name, hex_id, encoded = parts
        try:
            material = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise ConfigError(f"{path}: key material is not base64") from exc
        if len(material) != 33 or material[:1] != ED25519_SIGNATURE_TYPE:
            raise ConfigError(f"{path} does not hold an Ed25519 key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(material[1:]))
        if signer.key_id.hex() != hex_id:
            raise ConfigError(f"{path}: key ID {hex_id} does not match the key")
        return signer
