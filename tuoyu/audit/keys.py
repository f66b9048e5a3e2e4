"""The log's signing key (and a witness's): an Ed25519 private key in a file of mode 0600,
created on first use. Key material is never part of the repository or the store."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from tuoyu.audit.note import COSIGNATURE, ED25519, NoteError, Signer


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The key in `path` (PKCS #8 PEM); a new one, written with mode 0600, if there is none."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting at once do not both write; 0600 from the first byte.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return read_key(path)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        return key
    return read_key(path)


def read_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise NoteError(f"signing key {path}: cannot be read as an Ed25519 PEM key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise NoteError(f"signing key {path}: not an Ed25519 key")
    if path.stat().st_mode & 0o077:
        raise NoteError(
            f"signing key {path}: readable by others (mode {path.stat().st_mode & 0o777:o}); chmod 600 {path}"
        )
    return key


def log_signer(origin: str, path: Path) -> Signer:
    return Signer(origin, ED25519, load_or_create_key(path))


def witness_signer(name: str, path: Path) -> Signer:
    return Signer(name, COSIGNATURE, load_or_create_key(path))
