"""Verifying a bundle on any machine, and replaying it only once it verifies.

`tuoyu verify --bundle OUT` checks, in order: the checkpoint's signature (with the log's public
key); the events against it (a whole bundle: the chain walked from the start and the Merkle root
at its end; a township's: each event's inclusion proof); `--checkpoint FILE` (one published
independently: the defence against a bundle rewritten whole, signature included); each file
against the manifest; the manifest's own fields (position, events, township, known_at) against
the events; the personal values against their digests; and last, that snapshot.json is what the
events replay to, as of the manifest's times. `tuoyu replay --bundle` refuses a bundle that fails.
"""

from __future__ import annotations

from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import orjson

from tuoyu.audit.bundle import EARLIER, EARLIER_FILES, FILES, BundleError, _values, facts_of, read_events, read_manifest
from tuoyu.audit.checkpoint import Checkpoint, CheckpointError, parse_any
from tuoyu.audit.merkle import ProofError, leaf_hash, verify_inclusion
from tuoyu.audit.note import Verifier
from tuoyu.audit.verify import Finding, Verdict, verify
from tuoyu.domain.personal import value_digest
from tuoyu.persistence.chain import canonical_bytes, link, row_digest
from tuoyu.projections.facts import fact_from_stored, partition_of
from tuoyu.views.replay import replay_snapshot


class BundleFails(Exception):
    """A bundle that fails verification: nothing of it is shown."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.finding.detail if verdict.finding else "")
        self.verdict = verdict


def _own_checkpoint(bundle: Path, manifest: dict[str, Any], verifier: Verifier | None) -> Checkpoint:
    name = "checkpoint.json" if manifest["format"] == EARLIER else "checkpoint"
    try:
        return parse_any((bundle / name).read_bytes(), f"bundle {bundle}: {name}", verifier)
    except CheckpointError:
        raise


def _fail(kind: str, position: int, detail: str, events: int = 0) -> Verdict:
    return Verdict(events, None, Finding(kind, position, detail, at_or_before=True))


def verify_bundle(bundle: Path, checkpoint: Checkpoint | None = None, verifier: Verifier | None = None) -> Verdict:
    manifest = read_manifest(bundle)
    own = _own_checkpoint(bundle, manifest, verifier)
    if manifest.get("township"):
        verdict = _verify_proved(bundle, own, manifest["township"])
    else:
        verdict = _verify_chain(bundle, own, checkpoint)
    if not verdict.intact:
        return verdict
    if checkpoint is not None and manifest.get("township") and checkpoint.root != own.root:
        return _fail("modified", own.position, "the bundle's checkpoint is not the one given with --checkpoint")
    return _check_files(bundle, manifest, own, verdict) or verdict


def _verify_chain(bundle: Path, own: Checkpoint, outside: Checkpoint | None) -> Verdict:
    def chained_at(digest: bytes) -> int | None:
        return next((c.position for _, c, _ in read_events(bundle) if c.digest == digest), None)

    def stored_at(digest: bytes) -> int | None:
        return next((e.position for e, _, _ in read_events(bundle) if row_digest(e) == digest), None)

    # Streamed over the file for each check: a bundle of millions of events is never held in memory.
    verdict = Verdict(0, None, None)
    for against in (outside, own):
        if against is None:
            continue
        verdict = verify(
            (e for e, _, _ in read_events(bundle)),
            (c for _, c, _ in read_events(bundle)),
            against,
            chained_at,
            stored_at,
        )
        if not verdict.intact:
            return verdict
    return verdict


def _verify_proved(bundle: Path, own: Checkpoint, township: str) -> Verdict:
    """A township's bundle: each event's link recomputed and proved to be a leaf of the tree."""
    count = 0
    for event, chained, line in read_events(bundle):
        try:
            previous = bytes.fromhex(line["previous_link"])
            path = [bytes.fromhex(h) for h in line["path"]]
            index = int(line["leaf_index"])
        except (KeyError, TypeError, ValueError):
            raise BundleError(
                f"bundle {bundle}: the event at position {event.position} has no inclusion proof "
                "(leaf_index, previous_link, path)"
            ) from None
        recomputed = link(
            previous,
            event.position,
            chained.recorded_at,
            canonical_bytes(event.originator_id, event.version, event.topic, event.state),
        )
        try:
            verify_inclusion(index, own.events, leaf_hash(recomputed), path, own.root or b"")
        except ProofError as error:
            return _fail("modified", event.position, f"the event is not in the signed log as given: {error}", count)
        if partition_of(fact_from_stored(event.position, event.state)) != township:
            return _fail("inserted", event.position, f"an event of another township than {township}", count)
        count += 1
    return Verdict(count, None, None, True)


def _check_files(bundle: Path, manifest: dict[str, Any], own: Checkpoint, verdict: Verdict) -> Verdict | None:
    names: tuple[str, ...] = EARLIER_FILES if manifest["format"] == EARLIER else FILES
    if (bundle / "personal.jsonl").is_file():
        names = (*names, "personal.jsonl")
    for name in names:
        if _file_sha256(bundle / name) != manifest["files"].get(name):
            return _fail("modified", own.position, f"{name} differs from the manifest", verdict.events)
    if manifest["position"] != own.position or manifest["events"] != verdict.events:
        return _fail(
            "modified",
            own.position,
            "the manifest's position or event count is not the bundle's "
            f"({manifest['position']}, {manifest['events']} said; {own.position}, {verdict.events} found)",
        )
    values = _personal_values(bundle)
    if values is None:
        return _fail(
            "modified",
            own.position,
            "personal.jsonl holds a value that is not the one chained (its digest differs)",
            verdict.events,
        )
    return _check_snapshot(bundle, manifest, own, values, verdict)


def _personal_values(bundle: Path) -> dict[str, Any] | None:
    path = bundle / "personal.jsonl"
    if not path.is_file():
        return {}
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    for row in rows:
        if value_digest(bytes.fromhex(row["salt"]), row["value"].encode()) != row["digest"]:
            return None
    return _values(path.read_bytes())


def _check_snapshot(
    bundle: Path, manifest: dict[str, Any], own: Checkpoint, values: dict[str, Any], verdict: Verdict
) -> Verdict | None:
    known_at, as_of = datetime.fromisoformat(manifest["known_at"]), datetime.fromisoformat(manifest["as_of"])
    if own.recorded_at and datetime.fromisoformat(own.recorded_at) > known_at:
        return _fail("modified", own.position, "the manifest's known_at is before the bundle's last recording time")
    replayed = replay_snapshot(facts_of(read_events(bundle), values), as_of, as_of, known_at)
    stated = orjson.loads((bundle / "snapshot.json").read_bytes())
    if orjson.loads(orjson.dumps(replayed)) != stated:
        return _fail(
            "modified",
            own.position,
            "snapshot.json is not what the bundle's events replay to as of the manifest's times",
            verdict.events,
        )
    return None


def _file_sha256(path: Path) -> str:
    if not path.is_file():
        return ""
    digest = sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def replay_bundle(
    bundle: Path, as_of: datetime | None = None, known_at: datetime | None = None, verifier: Verifier | None = None
) -> dict[str, Any]:
    """The snapshot replayed from the bundle alone, once it verifies (BundleFails if not)."""
    verdict = verify_bundle(bundle, None, verifier)
    if not verdict.intact:
        raise BundleFails(verdict)
    manifest = read_manifest(bundle)
    as_of = as_of or datetime.fromisoformat(manifest["as_of"])
    known_at = known_at or datetime.fromisoformat(manifest["known_at"])
    return replay_snapshot(facts_of(read_events(bundle), _personal_values(bundle) or {}), as_of, as_of, known_at)
