"""Checkpoints: the record's size and Merkle root, signed, to be published outside the store.

A checkpoint is a C2SP `tlog-checkpoint` signed note (docs/audit.md):

    <origin>\n
    <tree size: the number of chained events, decimal>\n
    <the Merkle root of RFC 9162 over their links, base64>\n
    tuoyu-head <position> <link hex> <recorded_at>\n        (an extension line)
    \n
    — <origin> <base64(key ID || Ed25519 signature)>\n
    [— <witness> <base64(key ID || timestamp || Ed25519 signature)>\n]

Whoever holds one and the log's public key can later tell whether the record up to it is still
the one that was chained, even if the chain table was rewritten, and ask for proofs that an
event is in it or that a later checkpoint extends it. Checkpoints of the earlier JSON format
(`tuoyu-checkpoint/1`, unsigned) are still read, and checked by their position and link.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tuoyu.audit.note import Note, NoteError, Signer, Verifier, parse_note, sign

FORMAT = "tuoyu-checkpoint/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEAD = re.compile(r"tuoyu-head (\d+) ([0-9a-f]{64}) (\S+)")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used (a usage error: exit 2)."""


@dataclass(frozen=True)
class Checkpoint:
    position: int
    link: bytes
    events: int  # events stored at positions up to `position`: the tree size
    recorded_at: str  # recording time of the event at `position`
    root: bytes | None = None  # the Merkle root over the first `events` links (signed checkpoints)
    origin: str | None = None
    note: Note | None = None

    def text(self) -> str:
        assert self.root is not None and self.origin is not None
        return (
            f"{self.origin}\n{self.events}\n{base64.b64encode(self.root).decode()}\n"
            f"tuoyu-head {self.position} {self.link.hex()} {self.recorded_at}\n"
        )

    def signed(self, signer: Signer) -> Checkpoint:
        return _with_note(self, sign(self.text(), signer))

    def signed_root(self) -> bytes:
        """The Merkle root, which every signed checkpoint has."""
        if self.root is None:
            raise CheckpointError(f"the checkpoint at position {self.position} is of the earlier form: no Merkle root")
        return self.root

    def signed_note(self) -> Note:
        """The signed note, which every signed checkpoint is."""
        if self.note is None:
            raise CheckpointError(f"the checkpoint at position {self.position} is of the earlier form: not signed")
        return self.note

    def render(self) -> str:
        assert self.note is not None
        return self.note.render()

    # The earlier, unsigned JSON form.
    def as_dict(self, **extra: Any) -> dict[str, Any]:
        data = {
            "format": FORMAT,
            "position": self.position,
            "link": self.link.hex(),
            "events": self.events,
            "recorded_at": self.recorded_at,
            **extra,
        }
        if self.root is not None:
            data["root"] = self.root.hex()
        return data

    def dumps(self, **extra: Any) -> bytes:
        return orjson.dumps(self.as_dict(**extra), option=orjson.OPT_INDENT_2) + b"\n"


def _with_note(checkpoint: Checkpoint, note: Note) -> Checkpoint:
    return Checkpoint(
        checkpoint.position,
        checkpoint.link,
        checkpoint.events,
        checkpoint.recorded_at,
        checkpoint.root,
        checkpoint.origin,
        note,
    )


def parse_signed(data: str, source: str, verifier: Verifier | None) -> Checkpoint:
    """A signed checkpoint; with `verifier`, its signature checked (CheckpointError if not)."""
    try:
        note = parse_note(data)
        if verifier is not None:
            note.verified_by(verifier)
    except NoteError as error:
        raise CheckpointError(f"{source}: {error}") from None
    lines = note.text.split("\n")[:-1]
    if len(lines) < 3 or not lines[1].isdigit():
        raise CheckpointError(f"{source}: a checkpoint's text is its origin, tree size and root hash, one a line")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32:
        raise CheckpointError(f"{source}: line 3 must be a base64 SHA-256 root hash")
    head = next((m for m in map(_HEAD.fullmatch, lines[3:]) if m), None)
    if head is None:
        position, link, recorded_at = 0, bytes(32), ""
    else:
        position, link, recorded_at = int(head[1]), bytes.fromhex(head[2]), head[3]
    return Checkpoint(position, link, int(lines[1]), recorded_at, root, lines[0], note)


def parse_checkpoint(data: Any, source: str) -> Checkpoint:
    """A checkpoint of the earlier JSON form."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{source}: expected a JSON object (a checkpoint from `tuoyu audit checkpoint`)")
    if data.get("format") != FORMAT:
        raise CheckpointError(f"{source}: field format must be {FORMAT!r}, found {data.get('format')!r}")
    for name in ("position", "events"):
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CheckpointError(f"{source}: field {name} must be a non-negative integer, found {value!r}")
    if not isinstance(data.get("link"), str) or not _HEX64.fullmatch(data["link"]):
        raise CheckpointError(
            f"{source}: field link must be 64 lowercase hex digits (a SHA-256), found {data.get('link')!r}"
        )
    if not isinstance(data.get("recorded_at"), str):
        raise CheckpointError(f"{source}: field recorded_at must be a string, found {data.get('recorded_at')!r}")
    return Checkpoint(data["position"], bytes.fromhex(data["link"]), data["events"], data["recorded_at"])


def parse_any(raw: bytes, source: str, verifier: Verifier | None = None) -> Checkpoint:
    """A checkpoint in either form: a signed note, or the earlier JSON."""
    text = raw.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise CheckpointError(f"{source}: not JSON ({error})") from None
        return parse_checkpoint(data, source)
    return parse_signed(text, source, verifier)


def read_checkpoint(path: Path, verifier: Verifier | None = None) -> Checkpoint:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file {path}: no such file") from None
    except OSError as error:
        raise CheckpointError(f"checkpoint file {path}: cannot be read ({error.strerror})") from None
    return parse_any(raw, f"checkpoint file {path}", verifier)
