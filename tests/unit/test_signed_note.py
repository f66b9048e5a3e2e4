"""Signed notes (C2SP signed-note) with Ed25519, cosignatures (tlog-cosignature v1) and verifier
keys, and the key file made on first use with mode 0600."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tuoyu.audit.keys import load_or_create_key
from tuoyu.audit.note import COSIGNATURE, ED25519, NoteError, Signer, parse_note, parse_vkey, sign

TEXT = "example.org/log\n8\n" + base64.b64encode(bytes(32)).decode() + "\n"


def test_a_signed_note_verifies_with_its_key_and_the_key_id_is_the_c2sp_one():
    signer = Signer("example.org/log", ED25519, Ed25519PrivateKey.generate())
    note = sign(TEXT, signer)
    rendered = note.render()
    assert rendered.startswith(TEXT + "\n— example.org/log ")
    parse_note(rendered).verified_by(signer.verifier)
    public = signer.verifier.public
    assert signer.verifier.id == hashlib.sha256(b"example.org/log\n\x01" + public).digest()[:4]
    assert parse_vkey(signer.verifier.vkey()) == signer.verifier


def test_an_altered_note_or_another_key_fails():
    signer = Signer("example.org/log", ED25519, Ed25519PrivateKey.generate())
    rendered = sign(TEXT, signer).render()
    with pytest.raises(NoteError, match="does not verify"):
        parse_note(rendered.replace("\n8\n", "\n9\n")).verified_by(signer.verifier)
    other = Signer("example.org/log", ED25519, Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="no signature"):
        parse_note(rendered).verified_by(other.verifier)


def test_a_witness_cosignature_carries_its_time_and_signs_the_cosignature_v1_message():
    log = Signer("example.org/log", ED25519, Ed25519PrivateKey.generate())
    witness = Signer("example.org/witness", COSIGNATURE, Ed25519PrivateKey.generate())
    note = sign(TEXT, log)
    cosigned = parse_note(note.add(witness.signature_line(note.text, 1_700_000_000)).render())
    assert cosigned.verified_by(witness.verifier) == 1_700_000_000
    cosigned.verified_by(log.verifier)


@pytest.mark.parametrize(
    "text", ["no-plus-signs", "name+zz+AAAA", "name+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode()]
)
def test_a_malformed_or_mismatched_vkey_is_refused(text):
    with pytest.raises(NoteError):
        parse_vkey(text)


def test_the_signing_key_is_made_on_first_use_with_mode_0600_and_read_back(tmp_path):
    path = tmp_path / "audit" / "log.key"
    key = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path).private_bytes_raw() == key.private_bytes_raw()
    path.chmod(0o644)
    with pytest.raises(NoteError, match="chmod 600"):
        load_or_create_key(path)
