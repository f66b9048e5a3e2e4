"""Checking a proof of `tuoyu audit prove` on any machine, with no store: only the proof file and
the log's public key (its vkey, from `tuoyu audit key`).

An inclusion proof carries the event's stored row, its recording time and the link before it:
the verifier recomputes the event's link exactly as the chain defines it, hashes it as a leaf,
and walks the audit path up to the root of the signed checkpoint. A consistency proof carries
two signed checkpoints and the path of RFC 9162 2.1.4 between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tuoyu.audit.checkpoint import Checkpoint, CheckpointError, parse_signed
from tuoyu.audit.log import CONSISTENCY, INCLUSION
from tuoyu.audit.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from tuoyu.audit.note import Verifier
from tuoyu.persistence.chain import canonical_bytes, link


@dataclass(frozen=True)
class ProofVerdict:
    valid: bool
    kind: str
    detail: str
    checkpoint: Checkpoint | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "kind": self.kind,
            "detail": self.detail,
            "tree_size": self.checkpoint.events if self.checkpoint else None,
        }


def read_proof(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise CheckpointError(f"proof file {path}: no such file") from None
    except orjson.JSONDecodeError as error:
        raise CheckpointError(f"proof file {path}: not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") not in (INCLUSION, CONSISTENCY):
        raise CheckpointError(f"proof file {path}: field format must be {INCLUSION!r} or {CONSISTENCY!r}")
    return data


def check_proof(data: dict[str, Any], verifier: Verifier) -> ProofVerdict:
    """Whether a proof holds; CheckpointError (a usage error) if it is malformed."""
    try:
        if data["format"] == INCLUSION:
            return _inclusion(data, verifier)
        return _consistency(data, verifier)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, (CheckpointError, ProofError)):
            raise
        raise CheckpointError(f"the proof is malformed ({type(error).__name__}: {error})") from None


def _hashes(data: dict[str, Any]) -> list[bytes]:
    return [bytes.fromhex(h) for h in data["path"]]


def _inclusion(data: dict[str, Any], verifier: Verifier) -> ProofVerdict:
    checkpoint = parse_signed(data["checkpoint"], "the proof's checkpoint", verifier)
    event = data["event"]
    canonical = canonical_bytes(
        event["originator_id"], int(event["version"]), event["topic"], event["state"].encode("utf-8")
    )
    chained = link(bytes.fromhex(data["previous_link"]), int(event["position"]), event["recorded_at"], canonical)
    if int(data["tree_size"]) != checkpoint.events:
        return ProofVerdict(False, "inclusion", "the proof's tree size is not its checkpoint's", checkpoint)
    try:
        verify_inclusion(
            int(data["leaf_index"]), checkpoint.events, leaf_hash(chained), _hashes(data), checkpoint.root or b""
        )
    except ProofError as error:
        return ProofVerdict(False, "inclusion", str(error), checkpoint)
    return ProofVerdict(
        True,
        "inclusion",
        f"the event at position {event['position']} is leaf {data['leaf_index']} "
        f"of the log of {checkpoint.events} events signed by {verifier.name}",
        checkpoint,
    )


def _consistency(data: dict[str, Any], verifier: Verifier) -> ProofVerdict:
    old = parse_signed(data["old"], "the proof's earlier checkpoint", verifier)
    new = parse_signed(data["new"], "the proof's later checkpoint", verifier)
    try:
        verify_consistency(old.events, new.events, old.root or b"", new.root or b"", _hashes(data))
    except ProofError as error:
        return ProofVerdict(False, "consistency", str(error), new)
    return ProofVerdict(
        True,
        "consistency",
        f"the log of {new.events} events extends the log of {old.events} "
        f"events: nothing recorded up to then was changed or removed",
        new,
    )
