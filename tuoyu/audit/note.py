"""Signed notes (C2SP signed-note) with Ed25519 keys, and witness cosignatures (C2SP
tlog-cosignature, cosignature/v1), with the `cryptography` package.

    note      = text (ending in a newline) || "\n" || signature lines
    signature = "— " name " " base64(key ID (4 bytes) || signature) "\n"
    key ID    = SHA-256(name || "\n" || type || 32-byte public key)[:4]
                type 0x01: Ed25519 over the text; 0x04: a witness cosignature, whose signature is
                8-byte big-endian POSIX time || Ed25519 over
                "cosignature/v1\n" "time " T "\n" || text
    vkey      = name "+" hex(key ID) "+" base64(type || public key)   (what verifiers configure)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519, COSIGNATURE = 0x01, 0x04
DASH = "\u2014"


class NoteError(ValueError):
    """A note, key or signature that cannot be used."""


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r}: must be non-empty, without spaces or '+'")


@dataclass(frozen=True)
class Verifier:
    name: str
    kind: int
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    def vkey(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(bytes([self.kind]) + self.public).decode()}"

    def verify(self, text: str, signature: bytes) -> int | None:
        """None if `signature` (without the key ID) is this key's over `text`, else raises;
        for a cosignature, returns its time."""
        key = Ed25519PublicKey.from_public_bytes(self.public)
        try:
            if self.kind == COSIGNATURE:
                if len(signature) != 72:
                    raise NoteError(f"cosignature of {self.name} is not 72 bytes")
                (moment,) = struct.unpack(">Q", signature[:8])
                key.verify(signature[8:], cosigned_message(text, moment))
                return moment
            key.verify(signature, text.encode())
            return None
        except InvalidSignature:
            raise NoteError(
                f"the signature of {self.name} does not verify: the note was altered, or signed by another key"
            ) from None


def parse_vkey(text: str) -> Verifier:
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        expected = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError(f"verifier key {text.strip()!r}: expected NAME+KEYID+BASE64 (from `tuoyu audit key`)") from None
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE):
        raise NoteError(f"verifier key {name!r}: not an Ed25519 key (type 0x01) or cosigner key (type 0x04)")
    _check_name(name)
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.id != expected:
        raise NoteError(f"verifier key {name!r}: its key ID {hex_id} does not match its name and key")
    return verifier


@dataclass(frozen=True)
class Signer:
    name: str
    kind: int
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return Verifier(self.name, self.kind, self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def signature_line(self, text: str, moment: int | None = None) -> str:
        if self.kind == COSIGNATURE:
            assert moment is not None
            raw = struct.pack(">Q", moment) + self.private.sign(cosigned_message(text, moment))
        else:
            raw = self.private.sign(text.encode())
        return f"{DASH} {self.name} {base64.b64encode(self.verifier.id + raw).decode()}\n"


def cosigned_message(text: str, moment: int) -> bytes:
    return f"cosignature/v1\ntime {moment}\n".encode() + text.encode()


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (name, key ID, signature)

    def render(self) -> str:
        lines = "".join(f"{DASH} {name} {base64.b64encode(kid + sig).decode()}\n" for name, kid, sig in self.signatures)
        return f"{self.text}\n{lines}"

    def verified_by(self, verifier: Verifier) -> int | None:
        """Check the signature of `verifier` (NoteError if absent or wrong); a cosignature's time."""
        for name, kid, signature in self.signatures:
            if name == verifier.name and kid == verifier.id:
                return verifier.verify(self.text, signature)
        raise NoteError(f"the note carries no signature of {verifier.name} (key ID {verifier.id.hex()})")

    def add(self, line: str) -> Note:
        return parse_note(self.render() + line)


def sign(text: str, signer: Signer) -> Note:
    if not text.endswith("\n"):
        raise NoteError("a note's text ends in a newline")
    return parse_note(text + "\n" + signer.signature_line(text))


def parse_note(data: str) -> Note:
    if any(ord(c) < 0x20 and c != "\n" for c in data):
        raise NoteError("a signed note contains no control characters other than newline")
    text, separator, block = data.rpartition("\n\n")
    if not separator:
        raise NoteError("not a signed note: no blank line between the text and its signatures")
    signatures = []
    for line in block.splitlines():
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if dash != DASH or not name or len(raw) < 5:
            raise NoteError(f"not a signature line: {line[:60]!r} (expected '{DASH} NAME BASE64')")
        signatures.append((name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("a signed note has at least one signature")
    return Note(text + "\n", tuple(signatures))
