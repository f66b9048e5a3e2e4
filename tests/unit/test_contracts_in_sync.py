"""The project's copies of the shared contracts must match ../shared/spec where it exists."""

from pathlib import Path

import pytest

from tuoyu.contracts import event_schema, plan_targets, townships_document

PROJECT = Path(__file__).resolve().parents[2]
SHARED = PROJECT.parent / "shared"
COPIES = {
    "spec/events.schema.json": PROJECT / "tuoyu" / "contracts" / "events.schema.json",
    "spec/townships.json": PROJECT / "tuoyu" / "contracts" / "townships.json",
    "spec/plan-targets.jsonl": PROJECT / "tuoyu" / "contracts" / "plan-targets.jsonl",
    "fixtures/sample-events.jsonl": PROJECT / "tests" / "fixtures" / "sample-events.jsonl",
    # The contract's prose, which the code cites, kept beside the docs.
    "spec/kpis.md": PROJECT / "docs" / "spec" / "kpis.md",
    "spec/units.json": PROJECT / "docs" / "spec" / "units.json",
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_the_project_copy_of_each_contract_equals_the_shared_one(name: str) -> None:
    shared = SHARED / name
    if not shared.exists():
        pytest.skip(f"{shared} is not beside this checkout; nothing to compare with")
    assert COPIES[name].read_bytes() == shared.read_bytes(), (
        f"{COPIES[name].relative_to(PROJECT)} differs from ../shared/{name}: copy the shared one over and review")


def test_the_contracts_load_and_describe_17_event_types_13_townships_and_8_plan_targets() -> None:
    assert len(event_schema()["oneOf"]) == 17
    assert len(townships_document()["townships"]) == 13
    assert [t["type"] for t in plan_targets()] == ["TargetSet"] * 8
