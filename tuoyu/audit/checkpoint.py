"""Checkpoints: a position, its chain link and the number of events up to it, to hand to a
third party (in the monthly report, say). Whoever holds one can later tell whether the record up
to that position is still the one that was chained, even if the chain table was rewritten."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

FORMAT = "tuoyu-checkpoint/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used (a usage error: exit 2)."""


@dataclass(frozen=True)
class Checkpoint:
    position: int
    link: bytes
    events: int  # events stored at positions up to `position`
    recorded_at: str  # recording time of the event at `position`

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        return {"format": FORMAT, "position": self.position, "link": self.link.hex(), "events": self.events,
                "recorded_at": self.recorded_at, **extra}

    def dumps(self, **extra: Any) -> bytes:
        return orjson.dumps(self.as_dict(**extra), option=orjson.OPT_INDENT_2) + b"\n"


def parse_checkpoint(data: Any, source: str) -> Checkpoint:
    if not isinstance(data, dict):
        raise CheckpointError(f"{source}: expected a JSON object (a checkpoint from `tuoyu audit checkpoint`)")
    if data.get("format") != FORMAT:
        raise CheckpointError(f"{source}: field format must be {FORMAT!r}, found {data.get('format')!r}")
    for name in ("position", "events"):
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CheckpointError(f"{source}: field {name} must be a non-negative integer, found {value!r}")
    if not isinstance(data.get("link"), str) or not _HEX64.fullmatch(data["link"]):
        raise CheckpointError(f"{source}: field link must be 64 lowercase hex digits (a SHA-256), "
                              f"found {data.get('link')!r}")
    if not isinstance(data.get("recorded_at"), str):
        raise CheckpointError(f"{source}: field recorded_at must be a string, found {data.get('recorded_at')!r}")
    return Checkpoint(data["position"], bytes.fromhex(data["link"]), data["events"], data["recorded_at"])


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file {path}: no such file") from None
    except OSError as error:
        raise CheckpointError(f"checkpoint file {path}: cannot be read ({error.strerror})") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CheckpointError(f"checkpoint file {path}: not JSON ({error})") from None
    return parse_checkpoint(data, f"checkpoint file {path}")
