"""The project's copies of the shared contracts (schema, townships, plan targets, units).

They are copied from ../shared/spec (the schema and the plan targets from its revision of
2026-11-30 in ../shared/spec/next) so that the platform never reads ../shared at run time;
tests/unit/test_contracts_in_sync.py fails when the copies drift.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def event_schema() -> dict[str, Any]:
    return json.loads(_read("events.schema.json"))


@cache
def townships_document() -> dict[str, Any]:
    return json.loads(_read("townships.json"))


@cache
def units_document() -> dict[str, Any]:
    """The responsible units (责任单位) the plan names."""
    return json.loads(_read("units.json"))


def plan_targets() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _read("plan-targets.jsonl").splitlines() if line.strip()]
