"""The record as a transparency log: signed checkpoints of the store, published outside it, and
the proofs a third party checks against them with no store (docs/audit.md, "Checkpoints").

Publishing refuses what a witness would refuse: a store that fails verification, one shorter
than the newest published checkpoint, or one whose tree does not extend it (the chain rewritten
since). An optional witness key cosigns (C2SP tlog-cosignature) once that check has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuoyu import clock
from tuoyu.audit.checkpoint import Checkpoint, CheckpointError, parse_signed
from tuoyu.audit.merkle import consistency_proof, inclusion_proof, leaf_hash, verify_consistency
from tuoyu.audit.note import Signer, Verifier
from tuoyu.audit.publish import Publication
from tuoyu.audit.store import chain_rows, checkpoint_of, verify_store
from tuoyu.audit.verify import Verdict


class NotPublished(Exception):
    """The store cannot be vouched for: nothing was signed or published."""

    def __init__(self, message: str, verdict: Verdict | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict


def leaves(recorder: Any, size: int | None = None) -> list[bytes]:
    """The leaf hashes of the first `size` chained events (all of them by default)."""
    out: list[bytes] = []
    for row in chain_rows(recorder, 2**62):
        if size is not None and len(out) >= size:
            break
        out.append(leaf_hash(bytes(row[3])))
    return out


def newest_published(publication: Publication | None, verifier: Verifier) -> Checkpoint | None:
    if publication is None:
        return None
    text = publication.newest()
    return None if text is None else parse_signed(text, f"the newest checkpoint at {publication.where}", verifier)


def signed_checkpoint(recorder: Any, signer: Signer, checkpoint: Checkpoint | None = None) -> Checkpoint:
    """The store's checkpoint now, signed; NotPublished if the store fails verification
    (against `checkpoint`, the newest published, when given) or holds no event."""
    verdict = verify_store(recorder, checkpoint, tree=True)
    made = checkpoint_of(verdict)
    if made is None:
        raise NotPublished(
            "the record fails verification" if not verdict.intact else "the store holds no events", verdict
        )
    return Checkpoint(made.position, made.link, made.events, made.recorded_at, made.root, signer.name).signed(signer)


@dataclass(frozen=True)
class Published:
    checkpoint: Checkpoint
    previous: Checkpoint | None
    cosigned: bool


def publish(recorder: Any, signer: Signer, publication: Publication, witness: Signer | None = None) -> Published:
    """Sign the store's checkpoint and publish it, after checking that it extends the newest one."""
    previous = newest_published(publication, signer.verifier)
    checkpoint = signed_checkpoint(recorder, signer, previous)
    if previous is not None and previous.root is not None:
        if checkpoint.events < previous.events:
            raise NotPublished(
                f"the record holds {checkpoint.events} events, fewer than the {previous.events} of "
                "the newest published checkpoint: events were removed"
            )
        if checkpoint.events > previous.events:
            path = consistency_proof(leaves(recorder, checkpoint.events), previous.events, checkpoint.events)
            verify_consistency(previous.events, checkpoint.events, previous.root, checkpoint.signed_root(), path)
    if witness is not None:
        signed = checkpoint.signed_note()
        note = signed.add(witness.signature_line(signed.text, int(clock.now().timestamp())))
        checkpoint = parse_signed(note.render(), "the cosigned checkpoint", signer.verifier)
    publication.put(checkpoint.events, checkpoint.render())
    return Published(checkpoint, previous, witness is not None)


# ---- proofs: what a third party checks with no store --------------------------------------

INCLUSION = "tuoyu-inclusion-proof/1"
CONSISTENCY = "tuoyu-consistency-proof/1"


def prove_inclusion(recorder: Any, position: int, checkpoint: Checkpoint) -> dict[str, Any]:
    """That the event at `position` is in the log of `checkpoint` (whose tree must hold it)."""
    hashes: list[bytes] = []
    index: int | None = None
    previous = bytes(32)
    rows = iter(chain_rows(recorder, 2**62))
    for row in rows:
        if len(hashes) >= checkpoint.events:
            break
        if row[0] == position:
            index = len(hashes)
            chained = row
        elif index is None:
            previous = bytes(row[3])
        hashes.append(leaf_hash(bytes(row[3])))
    if index is None:
        raise CheckpointError(
            f"position {position} is not among the {checkpoint.events} events of the checkpoint "
            "(no such event, or recorded after it: publish a newer checkpoint)"
        )
    event = recorder.select_event_rows(position - 1, 1, position)
    if not event or event[0][0] != position:
        raise CheckpointError(f"no event is stored at position {position}")
    _, originator_id, version, topic, state = event[0]
    return {
        "format": INCLUSION,
        "checkpoint": checkpoint.render(),
        "leaf_index": index,
        "tree_size": checkpoint.events,
        "previous_link": previous.hex(),
        "event": {
            "position": position,
            "originator_id": originator_id,
            "version": version,
            "topic": topic,
            "state": bytes(state).decode("utf-8"),
            "recorded_at": chained[1],
        },
        "path": [h.hex() for h in inclusion_proof(hashes, index, checkpoint.events)],
    }


def prove_consistency(recorder: Any, old: Checkpoint, new: Checkpoint) -> dict[str, Any]:
    """That the log of `new` extends the log of `old`."""
    if old.events > new.events:
        old, new = new, old
    hashes = leaves(recorder, new.events)
    if len(hashes) < new.events:
        raise CheckpointError(
            f"the store holds {len(hashes)} chained events, fewer than the {new.events} of the later checkpoint"
        )
    return {
        "format": CONSISTENCY,
        "old": old.render(),
        "new": new.render(),
        "path": [h.hex() for h in consistency_proof(hashes, old.events, new.events)] if old.events else [],
    }
