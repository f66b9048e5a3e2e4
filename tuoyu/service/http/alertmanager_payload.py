"""Alertmanager's webhook payload (version 4), checked whole before any of it is recorded.

What is recorded is read back by every reader of the on-call record, so each alert must
carry what they parse: an RFC 3339 `startsAt` (it names the episode an acknowledgement is
for: without it every episode looks the same, and none could be acknowledged twice), an
`endsAt` that is RFC 3339 too (Alertmanager sends 0001-01-01T00:00:00Z for "no end yet"),
and labels and annotations of bounded number and size, without control characters.
"""

from __future__ import annotations

import re
from typing import Any

from tuoyu.domain.canonical import FIRST_YEAR, LAST_YEAR, canonical_time, parse_time, time_in_range, unsafe_character

MAX_ALERTS = 1000
MAX_PAIRS = 64  # labels, and annotations, per alert
MAX_LABEL_VALUE_CHARS = 1024
MAX_ANNOTATION_VALUE_CHARS = 8192
MAX_HEADER_CHARS = 4096  # receiver, groupKey, status, externalURL
GO_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert with no end yet

_FINGERPRINT = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}", re.ASCII)  # Prometheus label names


def payload_problem(payload: Any) -> str | None:
    """What is wrong with an Alertmanager webhook payload, or None."""
    if not isinstance(payload, dict) or payload.get("version") != "4":
        return 'expected Alertmanager\'s webhook payload, version "4"'
    for name in ("receiver", "groupKey", "status", "externalURL"):
        value = payload.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_HEADER_CHARS):
            return f"{name}: expected a string of at most {MAX_HEADER_CHARS:,} characters"
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        return "alerts: expected a non-empty array"
    if len(alerts) > MAX_ALERTS:
        return f"alerts: {len(alerts):,} alerts in one payload; at most {MAX_ALERTS:,}"
    for n, alert in enumerate(alerts):
        problem = _alert_problem(alert)
        if problem:
            return f"alerts[{n}]{problem}"
    return None


def _alert_problem(alert: Any) -> str | None:
    if not isinstance(alert, dict):
        return ": expected an object"
    fingerprint = alert.get("fingerprint")
    if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
        return ".fingerprint: expected Alertmanager's fingerprint (1 to 64 letters, digits, . _ : -)"
    if alert.get("status") not in ("firing", "resolved"):
        return ".status: expected firing or resolved"
    if "startsAt" not in alert:
        return ".startsAt: is required (when the alert started: it tells one episode of the alert from the next)"
    problem = _time_problem(alert["startsAt"], "startsAt") or _ends_problem(alert.get("endsAt"))
    if problem:
        return problem
    problem = _pairs_problem(alert.get("labels"), "labels", MAX_LABEL_VALUE_CHARS, multiline=False)
    if problem:
        return problem
    return _pairs_problem(alert.get("annotations", {}), "annotations", MAX_ANNOTATION_VALUE_CHARS, multiline=True)


def _time_problem(value: Any, name: str) -> str | None:
    moment = parse_time(value) if isinstance(value, str) else None
    if moment is None or canonical_time(value) != value:
        return (
            f".{name}: {str(value)[:60]!r} is not an RFC 3339 date-time as Alertmanager writes it "
            "(e.g. 2026-11-30T08:00:00.123Z)"
        )
    if not time_in_range(moment):
        return f".{name}: {value!r} is out of range: it must fall within the years {FIRST_YEAR} to {LAST_YEAR}"
    return None


def _ends_problem(value: Any) -> str | None:
    if value is None or value == GO_ZERO_TIME:
        return None
    return _time_problem(value, "endsAt")


def _pairs_problem(pairs: Any, name: str, max_chars: int, multiline: bool) -> str | None:
    if not isinstance(pairs, dict):
        return f".{name}: expected an object of strings"
    if len(pairs) > MAX_PAIRS:
        return f".{name}: {len(pairs)} entries; at most {MAX_PAIRS}"
    for key, value in pairs.items():
        if not _NAME.fullmatch(key):
            return f".{name}: {key[:60]!r} is not a label name (letters, digits and _, at most 128)"
        if not isinstance(value, str):
            return f".{name}.{key}: expected an object of strings"
        if len(value) > max_chars:
            return f".{name}.{key}: {len(value):,} characters; at most {max_chars:,}"
        why = unsafe_character(value, multiline)
        if why:
            return f".{name}.{key}: {why}"
    return None
