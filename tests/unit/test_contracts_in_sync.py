"""The project's copies of the shared contracts must match ../shared/spec where it exists."""

from pathlib import Path

import pytest

from tuoyu.contracts import event_schema, plan_targets, townships_document

PROJECT_CONTRACTS = Path(__file__).resolve().parents[2] / "tuoyu" / "contracts"
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"


@pytest.mark.parametrize("name", ["events.schema.json", "townships.json", "plan-targets.jsonl"])
def test_the_project_copy_of_each_contract_equals_the_shared_one(name: str) -> None:
    shared = SHARED_SPEC / name
    if not shared.exists():
        pytest.skip(f"{shared} is not beside this checkout; nothing to compare with")
    assert (PROJECT_CONTRACTS / name).read_bytes() == shared.read_bytes(), (
        f"tuoyu/contracts/{name} differs from ../shared/spec/{name}: copy the shared one over and review the change")


def test_the_contracts_load_and_describe_17_event_types_13_townships_and_8_plan_targets() -> None:
    assert len(event_schema()["oneOf"]) == 17
    assert len(townships_document()["townships"]) == 13
    assert [t["type"] for t in plan_targets()] == ["TargetSet"] * 8
