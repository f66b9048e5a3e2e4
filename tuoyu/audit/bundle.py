"""Audit bundles: a self-contained directory that another machine verifies and replays.

    OUT/
      events.jsonl     one stored event per line, in position order: position, originator_id,
                       version, topic, state (the stored JSON, as a string), and its chain row
                       (recorded_at, digest, link in hex); in a township's bundle also leaf_index,
                       previous_link and path: its inclusion proof against the checkpoint
      checkpoint       the signed checkpoint (C2SP tlog-checkpoint) the events are proved against
      snapshot.json    the snapshot of kpis.md replayed from these events, as of the bundle's time
      personal.jsonl   only with --personal: digest, salt and value of each personal value still
                       held for these events (whoever may see them can check them)
      manifest.json    format, as_of, known_at, position, events, township, personal, and the
                       SHA-256 of each file above

A whole bundle carries every event up to its position (the chain walked from the start); a
township's carries only that township's events, each proved to be in the checkpoint's tree, so a
township verifies its own institutions' trail without seeing any other's. Personal values are
left out unless asked for: the digests in the states are all a recipient sees of them.
Bundles of the earlier format (tuoyu-bundle/1: checkpoint.json, no tree) are still verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import orjson

from tuoyu.audit.checkpoint import Checkpoint
from tuoyu.audit.log import NotPublished
from tuoyu.audit.merkle import inclusion_proof, leaf_hash
from tuoyu.audit.note import Signer
from tuoyu.audit.store import chain_rows, event_rows
from tuoyu.audit.verify import Verdict
from tuoyu.domain.personal import digests_of, restore
from tuoyu.persistence.chain import ChainRow, EventRow
from tuoyu.projections.facts import Fact, fact_from_stored, partition_of
from tuoyu.views.replay import replay_snapshot

FORMAT = "tuoyu-bundle/2"
EARLIER = "tuoyu-bundle/1"
FILES = ("events.jsonl", "checkpoint", "snapshot.json")
EARLIER_FILES = ("events.jsonl", "checkpoint.json", "snapshot.json")


class BundleError(ValueError):
    """A bundle that cannot be read at all (a usage error: exit 2)."""


class NotExportable(Exception):
    """The store fails verification: an export would certify a tampered record."""

    def __init__(self, verdict: Verdict | None) -> None:
        super().__init__(verdict.finding.detail if verdict and verdict.finding else "nothing to export")
        self.verdict = verdict or Verdict(0, None, None)


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


def export_bundle(
    recorder: Any, moment: datetime, out: Path, signer: Signer, township: str | None = None, personal: bool = False
) -> Exported:
    """Write the bundle of every event recorded up to `moment` (a prefix of the log) to `out`."""
    position = _last_position_known_at(recorder, moment)
    if position == 0:
        raise NotExportable(None)
    try:
        checkpoint = _checkpoint_at(recorder, signer, position)
    except NotPublished as refused:
        raise NotExportable(refused.verdict) from None
    out.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    lines = _lines(recorder, checkpoint, township)
    hashes["events.jsonl"], kept, digests = _write_events(out / "events.jsonl", lines)
    files = {"checkpoint": checkpoint.render().encode()}
    if personal:
        values = recorder.select_personal_rows()
        files["personal.jsonl"] = b"".join(
            orjson.dumps({"digest": d, "salt": s, "value": v}) + b"\n" for d, s, v in values if d in digests
        )
    facts = facts_of(read_events(out), _values(files.get("personal.jsonl")))
    snapshot = replay_snapshot(facts, moment, moment, moment)
    files["snapshot.json"] = orjson.dumps(snapshot, option=orjson.OPT_INDENT_2) + b"\n"
    for name, data in files.items():
        (out / name).write_bytes(data)
        hashes[name] = sha256(data).hexdigest()
    manifest = {
        "format": FORMAT,
        "as_of": snapshot["as_of"],
        "known_at": snapshot["known_at"],
        "position": position,
        "events": kept,
        "township": township,
        "personal": personal,
        "files": hashes,
    }
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return Exported(position, kept, checkpoint, snapshot)


def _checkpoint_at(recorder: Any, signer: Signer, position: int) -> Checkpoint:
    """The signed checkpoint of the record up to `position` (verified up to there)."""
    from tuoyu.audit.store import checkpoint_of, verify_store

    verdict = verify_store(recorder, upto=position, tree=True)
    made = checkpoint_of(verdict)
    if made is None:
        raise NotPublished("the record fails verification", verdict)
    return Checkpoint(made.position, made.link, made.events, made.recorded_at, made.root, signer.name).signed(signer)


def _lines(recorder: Any, checkpoint: Checkpoint, township: str | None) -> Iterator[dict[str, Any]]:
    pairs = zip(event_rows(recorder, checkpoint.position), chain_rows(recorder, checkpoint.position), strict=True)
    if township is None:
        for e, c in pairs:
            yield _line(EventRow(*e), ChainRow(*c))
        return
    every_pair = list(pairs)  # a township's proofs need every leaf of the tree
    leaves = [leaf_hash(bytes(c[3])) for _, c in every_pair]
    previous = bytes(32)
    for index, (e, c) in enumerate(every_pair):
        event, chained = EventRow(*e), ChainRow(*c)
        if partition_of(fact_from_stored(event.position, bytes(event.state))) == township:
            yield {
                **_line(event, chained),
                "leaf_index": index,
                "previous_link": previous.hex(),
                "path": [h.hex() for h in inclusion_proof(leaves, index, len(leaves))],
            }
        previous = bytes(chained.link)


def _line(e: EventRow, c: ChainRow) -> dict[str, Any]:
    return {
        "position": e.position,
        "originator_id": e.originator_id,
        "version": e.version,
        "topic": e.topic,
        "state": bytes(e.state).decode("utf-8"),
        "recorded_at": c.recorded_at,
        "digest": bytes(c.digest).hex(),
        "link": bytes(c.link).hex(),
    }


def _write_events(path: Path, lines: Iterator[dict[str, Any]]) -> tuple[str, int, set[str]]:
    digest, count, personal = sha256(), 0, set()
    with path.open("wb") as stream:
        for line in lines:
            data = orjson.dumps(line) + b"\n"
            digest.update(data)
            stream.write(data)
            count += 1
            personal |= digests_of([orjson.loads(line["state"])])
    return digest.hexdigest(), count, personal


def _values(data: bytes | None) -> dict[str, Any]:
    """digest -> value (decoded) of a bundle's personal.jsonl."""
    return {} if not data else {r["digest"]: orjson.loads(r["value"]) for r in map(orjson.loads, data.splitlines())}


def facts_of(pairs: Iterator[tuple[EventRow, ChainRow, dict[str, Any]]], values: dict[str, Any]) -> Iterator[Fact]:
    for event, _, _ in pairs:
        yield restore(fact_from_stored(event.position, event.state), values)


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
    if not isinstance(manifest, dict) or manifest.get("format") not in (FORMAT, EARLIER):
        raise BundleError(f"bundle {bundle}: manifest.json field format must be {FORMAT!r}")
    for field, kind in (("as_of", str), ("known_at", str), ("position", int), ("events", int), ("files", dict)):
        if not isinstance(manifest.get(field), kind) or isinstance(manifest.get(field), bool):
            raise BundleError(f"bundle {bundle}: manifest.json field {field} is missing or not a {kind.__name__}")
    for name in FILES if manifest["format"] == FORMAT else EARLIER_FILES:
        if not (bundle / name).is_file():
            raise BundleError(f"bundle {bundle}: {name} is missing")
    return manifest


# The fields of a line of events.jsonl and their JSON types (bool is not an integer here).
EVENT_FIELDS = {
    "position": int,
    "originator_id": str,
    "version": int,
    "topic": str,
    "state": str,
    "recorded_at": str,
    "digest": str,
    "link": str,
}


def read_events(bundle: Path) -> Iterator[tuple[EventRow, ChainRow, dict[str, Any]]]:
    """The bundle's events, chain rows and lines; a line that is not one (a wrong field type,
    positions not increasing) stops the reading with the file, line and field, never a crash."""
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
                    raise BundleError(
                        f"{path} line {number}: field {field} must be "
                        f"{'an integer' if kind is int else 'a string'}, not {found}"
                    )
            if not 0 < r["position"] < 2**63 or r["position"] <= previous:
                raise BundleError(
                    f"{path} line {number}: field position {r['position']} does not follow "
                    f"position {previous} (positions increase, from 1)"
                )
            if not 0 < r["version"] < 2**63:
                raise BundleError(f"{path} line {number}: field version {r['version']} is out of range")
            try:
                digest, link = bytes.fromhex(r["digest"]), bytes.fromhex(r["link"])
            except ValueError:
                raise BundleError(f"{path} line {number}: fields digest and link must be hexadecimal") from None
            previous = r["position"]
            yield (
                EventRow(r["position"], r["originator_id"], r["version"], r["topic"], r["state"].encode()),
                ChainRow(r["position"], r["recorded_at"], digest, link),
                r,
            )
