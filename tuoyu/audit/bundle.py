"""Audit bundles: a self-contained directory that another machine verifies and replays.

    OUT/
      events.jsonl     one stored event per line, in position order: position, originator_id,
                       version, topic, state (the stored JSON, as a string), and its chain row
                       (recorded_at, digest, link in hex)
      checkpoint.json  the checkpoint at the bundle's last position (as `tuoyu audit checkpoint`)
      snapshot.json    the snapshot of kpis.md as of the bundle's time, known at that time
      manifest.json    format, as_of, position, events, and the SHA-256 of each file above

`tuoyu verify --bundle OUT` recomputes the chain over events.jsonl and compares it with the
bundle's checkpoint (or, better, with one published independently: --checkpoint FILE), and
checks the files against the manifest. `tuoyu replay --bundle OUT` folds events.jsonl and
prints the snapshot, which equals snapshot.json.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import orjson

from tuoyu.persistence.chain import ChainRow, EventRow, row_digest
from tuoyu.audit.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from tuoyu.audit.store import chain_rows, checkpoint_of, event_rows, verify_store
from tuoyu.audit.verify import Finding, Verdict, verify
from tuoyu.projections.facts import Fact, fact_from_stored
from tuoyu.views.replay import replay_snapshot

FORMAT = "tuoyu-bundle/1"
FILES = ("events.jsonl", "checkpoint.json", "snapshot.json")


class BundleError(ValueError):
    """A bundle that cannot be read at all (a usage error: exit 2)."""


class NotExportable(Exception):
    """The store fails verification: an export would certify a tampered record."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.finding.detail if verdict.finding else "nothing to export")
        self.verdict = verdict


@dataclass(frozen=True)
class Exported:
    position: int
    events: int
    checkpoint: Checkpoint
    snapshot: dict[str, Any]


def _last_position_known_at(recorder: Any, moment: datetime) -> int:
    """The highest position recorded at or before `moment` (recording times come from the chain)."""
    events_end, chain_end = recorder.chain_extent()
    last = 0
    for position, recorded_at, _, _ in chain_rows(recorder, max(events_end, chain_end)):
        if datetime.fromisoformat(recorded_at) <= moment:
            last = position
    return last


def export_bundle(recorder: Any, moment: datetime, out: Path) -> Exported:
    """Write the bundle of every event recorded up to `moment` (a prefix of the log) to `out`."""
    position = _last_position_known_at(recorder, moment)
    verdict = verify_store(recorder, upto=position)
    checkpoint = checkpoint_of(verdict)
    if checkpoint is None:
        raise NotExportable(verdict)
    out.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    with (out / "events.jsonl").open("wb") as stream:
        digest = sha256()
        for e, c in zip(event_rows(recorder, position), chain_rows(recorder, position), strict=True):
            e, c = EventRow(*e), ChainRow(*c)
            line = orjson.dumps({"position": e.position, "originator_id": e.originator_id, "version": e.version,
                                 "topic": e.topic, "state": e.state.decode("utf-8"), "recorded_at": c.recorded_at,
                                 "digest": c.digest.hex(), "link": c.link.hex()}) + b"\n"
            digest.update(line)
            stream.write(line)
        hashes["events.jsonl"] = digest.hexdigest()
    snapshot = replay_snapshot(_facts_of(read_events(out)), moment, moment, moment)
    for name, data in (("checkpoint.json", checkpoint.dumps()),
                       ("snapshot.json", orjson.dumps(snapshot, option=orjson.OPT_INDENT_2) + b"\n")):
        (out / name).write_bytes(data)
        hashes[name] = sha256(data).hexdigest()
    manifest = {"format": FORMAT, "as_of": snapshot["as_of"], "known_at": snapshot["known_at"],
                "position": position, "events": checkpoint.events, "files": hashes}
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return Exported(position, checkpoint.events, checkpoint, snapshot)


# ---- reading a bundle -------------------------------------------------------------------

def read_manifest(bundle: Path) -> dict[str, Any]:
    path = bundle / "manifest.json"
    if not bundle.is_dir():
        raise BundleError(f"bundle {bundle}: no such directory (expected the OUT of `tuoyu audit export`)")
    try:
        manifest = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise BundleError(f"bundle {bundle}: manifest.json is missing") from None
    except orjson.JSONDecodeError as error:
        raise BundleError(f"bundle {bundle}: manifest.json is not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"bundle {bundle}: manifest.json field format must be {FORMAT!r}")
    for name in FILES:
        if not (bundle / name).is_file():
            raise BundleError(f"bundle {bundle}: {name} is missing")
    return manifest


# The fields of a line of events.jsonl and their JSON types (bool is not an integer here).
EVENT_FIELDS = {"position": int, "originator_id": str, "version": int, "topic": str, "state": str,
                "recorded_at": str, "digest": str, "link": str}


def read_events(bundle: Path) -> Iterator[tuple[EventRow, ChainRow]]:
    """The bundle's events and chain rows; a line that is not one (a wrong field type, positions
    not increasing) stops the reading with the file, line and field, never a crash further on."""
    path = bundle / "events.jsonl"
    previous = 0
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                r = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise BundleError(f"{path} line {number}: not JSON ({error})") from None
            if not isinstance(r, dict):
                raise BundleError(f"{path} line {number}: not a bundle event (a JSON object is expected)")
            for field, kind in EVENT_FIELDS.items():
                value = r.get(field)
                if not isinstance(value, kind) or isinstance(value, bool):
                    found = type(value).__name__ if field in r else "missing"
                    raise BundleError(f"{path} line {number}: field {field} must be "
                                      f"{'an integer' if kind is int else 'a string'}, not {found}")
            if not 0 < r["position"] < 2**63 or r["position"] <= previous:
                raise BundleError(f"{path} line {number}: field position {r['position']} does not follow "
                                  f"position {previous} (positions increase, from 1)")
            if not 0 < r["version"] < 2**63:
                raise BundleError(f"{path} line {number}: field version {r['version']} is out of range")
            try:
                digest, link = bytes.fromhex(r["digest"]), bytes.fromhex(r["link"])
            except ValueError:
                raise BundleError(f"{path} line {number}: fields digest and link must be hexadecimal") from None
            previous = r["position"]
            yield (EventRow(r["position"], r["originator_id"], r["version"], r["topic"], r["state"].encode()),
                   ChainRow(r["position"], r["recorded_at"], digest, link))


def _facts_of(pairs: Iterator[tuple[EventRow, ChainRow]]) -> Iterator[Fact]:
    for event, _ in pairs:
        yield fact_from_stored(event.position, event.state)


def replay_bundle(bundle: Path, as_of: datetime | None = None, known_at: datetime | None = None) -> dict[str, Any]:
    """The snapshot replayed from the bundle alone: as of the bundle's time unless told otherwise."""
    manifest = read_manifest(bundle)
    moment = datetime.fromisoformat(manifest["as_of"])
    as_of = as_of or moment
    known_at = known_at or datetime.fromisoformat(manifest["known_at"])
    return replay_snapshot(_facts_of(read_events(bundle)), as_of, as_of, known_at)


def verify_bundle(bundle: Path, checkpoint: Checkpoint | None = None) -> Verdict:
    """The chain of the bundle against its own checkpoint and `checkpoint` (one published
    independently: the only defence against a bundle rewritten whole), then the manifest."""
    manifest = read_manifest(bundle)
    try:
        own = parse_checkpoint(orjson.loads((bundle / "checkpoint.json").read_bytes()),
                               f"bundle {bundle}: checkpoint.json")
    except orjson.JSONDecodeError as error:
        raise CheckpointError(f"bundle {bundle}: checkpoint.json is not JSON ({error})") from None

    def chained_at(digest: bytes) -> int | None:
        return next((c.position for _, c in read_events(bundle) if c.digest == digest), None)

    def stored_at(digest: bytes) -> int | None:
        return next((e.position for e, _ in read_events(bundle) if row_digest(e) == digest), None)

    # Streamed twice over the file (events, chain rows): a bundle of millions of events is
    # never held in memory.
    for outside in (checkpoint, own):
        if outside is None:
            continue
        verdict = verify((e for e, _ in read_events(bundle)), (c for _, c in read_events(bundle)), outside,
                         chained_at, stored_at)
        if not verdict.intact:
            return verdict
    for name in FILES:
        actual = _file_sha256(bundle / name)
        if actual != manifest.get("files", {}).get(name):
            return Verdict(verdict.events, None, Finding("modified", manifest.get("position", 0),
                                                         f"{name} differs from the manifest", at_or_before=True))
    return verdict


def _file_sha256(path: Path) -> str:
    digest = sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
