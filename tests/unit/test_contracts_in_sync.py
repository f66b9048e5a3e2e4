"""The project's copies of the shared contracts must match ../shared/spec where it exists.

The project has adopted the revision of 2026-11-30: its schema and plan targets are the
ones of ../shared/spec/next, beside the units the revision adds.
"""

from pathlib import Path

import pytest

from tuoyu.contracts import event_schema, plan_targets, townships_document, units_document

PROJECT = Path(__file__).resolve().parents[2]
SHARED = PROJECT.parent / "shared"
COPIES = [
    ("spec/next/events.schema.json", PROJECT / "tuoyu" / "contracts" / "events.schema.json"),
    ("spec/townships.json", PROJECT / "tuoyu" / "contracts" / "townships.json"),
    ("spec/next/plan-targets.jsonl", PROJECT / "tuoyu" / "contracts" / "plan-targets.jsonl"),
    ("spec/units.json", PROJECT / "tuoyu" / "contracts" / "units.json"),
    ("fixtures/sample-events.jsonl", PROJECT / "tests" / "fixtures" / "sample-events.jsonl"),
    # The contract's prose, which the code cites, kept beside the docs.
    ("spec/kpis.md", PROJECT / "docs" / "spec" / "kpis.md"),
    ("spec/units.json", PROJECT / "docs" / "spec" / "units.json"),
]


@pytest.mark.parametrize("name, copy", COPIES, ids=[f"{n} -> {c.relative_to(PROJECT)}" for n, c in COPIES])
def test_the_project_copy_of_each_contract_equals_the_shared_one(name: str, copy: Path) -> None:
    shared = SHARED / name
    if not shared.exists():
        pytest.skip(f"{shared} is not beside this checkout; nothing to compare with")
    assert copy.read_bytes() == shared.read_bytes(), (
        f"{copy.relative_to(PROJECT)} differs from ../shared/{name}: copy the shared one over and review"
    )


def test_the_contracts_load_and_describe_21_event_types_13_townships_10_plan_targets_and_16_units() -> None:
    assert len(event_schema()["oneOf"]) == 21
    assert len(townships_document()["townships"]) == 13
    assert [t["type"] for t in plan_targets()] == ["TargetSet"] * 10
    assert len(units_document()["units"]) == 16


def test_the_schema_allows_as_responsible_exactly_the_units_of_units_json() -> None:
    allowed = event_schema()["$defs"]["unit"]["enum"]
    assert allowed == [unit["id"] for unit in units_document()["units"]]


def test_every_plan_target_names_its_responsible_units_lead_first() -> None:
    ids = {unit["id"] for unit in units_document()["units"]}
    for target in plan_targets():
        assert target["responsible"], target["event_id"]
        assert set(target["responsible"]) <= ids, target["event_id"]
