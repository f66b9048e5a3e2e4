"""Schema evolution on both stores: events recorded with the current schema are read by a next
version that adds a field (upcast in one place) and a type (its fold learns it); an event type
a fold does not know is skipped and counted, never a crash of the projector or of replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.domain import Aggregate

from tests.integration.api_helpers import recorded
from tests.integration.audit_helpers import run, verdict
from tests.support.builders import CST, filed, open_app, record
from tuoyu.domain import transcoder
from tuoyu.domain.base import Opened
from tuoyu.projections import fold
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all
from tuoyu.views.version import VIEW_NAME

RECORDED = datetime(2026, 3, 1, 9, 0, tzinfo=CST)


class Relocation(Aggregate):
    """What a newer release records: a type the current fold does not know (an institution that moved)."""

    class Reported(Opened):
        pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str | None) -> None:
        pass


def report_incident(app: Any, institution: str = "A1") -> None:
    """Record, as a newer release would, an InstitutionRelocated event."""
    event = {
        "event_id": "mv-1",
        "type": "InstitutionRelocated",
        "occurred_at": "2026-02-27T09:00:00+08:00",
        "institution_id": institution,
        "address": "门头沟区新桥大街 1 号",
    }
    relocation = Relocation._create(
        Relocation.Reported, timestamp=RECORDED, event=event, context={"township": "dayu"}, recorded_by="newer release"
    )
    app.save(relocation)


def test_events_of_the_current_schema_are_read_by_a_next_version_adding_a_field_and_a_type(
    store_settings, store_env, monkeypatch, capsys
):
    app = open_app(store_settings, RECORDED)
    try:
        target = {
            "event_id": "t-1",
            "type": "TargetSet",
            "occurred_at": "2026-01-01T00:00:00+08:00",
            "scope": "district",
            "kpi": "slots_total",
            "value": 100,
            "start": "2026-01-01",
            "due": "2026-12-31",
        }
        record(app, filed("A1", slots=20), target)
        report_incident(app)
        stored = [bytes(state) for _, state in app.recorder.select_states(0, 10)]
        assert all(orjson.loads(state)["schema"] == transcoder.SCHEMA_VERSION == 2 for state in stored)

        # The next version: schema 3 gives every TargetSet a `weight` (1 when the event predates
        # it), and the fold learns InstitutionRelocated.
        def v2_to_v3(state: dict[str, Any]) -> None:
            if state["event"].get("type") == "TargetSet":
                state["event"].setdefault("weight", 1)

        def relocated(inst: dict[str, Any], event: dict[str, Any]) -> None:
            inst["moves"] = inst.get("moves", 0) + 1

        monkeypatch.setattr(transcoder, "SCHEMA_VERSION", 3)
        monkeypatch.setitem(transcoder.UPCASTERS, 2, v2_to_v3)
        monkeypatch.setitem(fold._CHANGES, "InstitutionRelocated", relocated)
        monkeypatch.setattr(fold, "_FOLDED", fold._FOLDED | {"InstitutionRelocated"})
        facts = list(read_facts(app.recorder))
        view, _ = fold_all(facts)
        assert [f["schema"] for f in facts] == [3, 3, 3]
        assert facts[1]["event"]["weight"] == 1  # the added field, upcast when read
        assert view["dayu"]["institutions"]["A1"]["moves"] == 1  # the added type, folded
        assert "unknown" not in view["dayu"]
        assert [bytes(state) for _, state in app.recorder.select_states(0, 10)] == stored  # the record untouched
    finally:
        app.close()
    assert verdict(store_env, monkeypatch, capsys)[0] == 0


def test_an_unknown_event_type_is_skipped_and_counted_by_replay_and_the_projector_and_exported(api):
    recorded(api, "admin", filed("A1", slots=20))
    report_incident(api.platform.registry)
    recorded(api, "admin", filed("A2", slots=5))
    view, position = fold_all(read_facts(api.platform.registry.recorder))
    assert view["dayu"]["unknown"] == {"InstitutionRelocated": 1}
    assert view["dayu"]["institutions"]["A2"]["slots"] == 5  # the events after it are folded
    api.wait_for_view()
    assert api.platform.projector.unknown_events() == {"InstitutionRelocated": 1}
    metrics = api.client.get("/metrics").text
    assert f'childcare_projection_unknown_events_total{{type="InstitutionRelocated",view="{VIEW_NAME}"}} 1.0' in metrics
    assert api.client.get("/api/kpi", headers=api.headers("admin")).json()["district"]["slots_total"] == 25


def test_replay_and_audit_check_go_on_past_an_unknown_event_type(store_settings, store_env, monkeypatch, capsys):
    app = open_app(store_settings, RECORDED)
    try:
        record(app, filed("A1", slots=20))
        report_incident(app)
    finally:
        app.close()
    code, out, err = run(store_env, monkeypatch, capsys, "replay", "--json")
    assert code == 0, err
    assert orjson.loads(out)["district"]["slots_total"] == 20
    assert run(store_env, monkeypatch, capsys, "project", "--once")[0] == 0
    assert run(store_env, monkeypatch, capsys, "audit", "check")[0] == 0
