"""The on-call record: notifications and acknowledgements as events, folded into the on-call list.

Repeats are counted, not recorded one by one; an episode ends only with a resolution; an
acknowledgement holds for its episode, or until the silence it created ends; events stored
before counts and silences existed fold as they always did.
"""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from tuoyu.domain.problems import ConflictingEvent
from tuoyu.projections.fold import apply, new_part
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry
from tuoyu.views.reading import read_facts

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LABELS = {"alertname": "EmergencyClosureOpen", "severity": "critical", "team": "health-commission", "township": "dayu"}


def payload(
    status: str = "firing", starts: str = "2026-11-30T02:00:00Z", summary: str = "应急关停：大峪街道 有 6 名幼儿待安置"
):
    return {
        "version": "4",
        "receiver": "recorder",
        "groupKey": "g",
        "alerts": [
            {
                "fingerprint": "fp1",
                "status": status,
                "labels": LABELS,
                "annotations": {"summary": summary},
                "startsAt": starts,
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def registry(tmp_path):
    clock = Clock()
    with closing(open_registry(Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'r.db'}"), clock)) as app:
        app.test_clock = clock
        yield app


def events(registry) -> list[dict]:
    return [f["event"] for f in read_facts(registry.recorder)]


def folded(registry) -> dict:
    part = new_part()
    for fact in read_facts(registry.recorder):
        apply(part, fact)
    return part["alerts"]["fp1"]


def test_repeated_notifications_are_counted_and_recorded_with_the_next_change(registry):
    repeats: dict[str, int] = {}
    for _ in range(4):  # the first, then three repeats an hour apart
        registry.record_notifications(payload(), repeats=repeats)
        registry.test_clock.advance(hours=1)
    assert [e["count"] for e in events(registry)] == [1] and repeats == {"fp1": 3}
    registry.record_notifications(payload("resolved"), repeats=repeats)
    assert [(e["status"], e["count"]) for e in events(registry)] == [("firing", 1), ("resolved", 4)]
    assert folded(registry)["notifications"] == 5 and repeats == {}


def test_an_alert_that_never_ends_is_recorded_about_once_a_day(registry):
    repeats: dict[str, int] = {}
    for _ in range(49):  # hourly for two days
        registry.record_notifications(payload(), repeats=repeats, record_every=timedelta(hours=24))
        registry.test_clock.advance(hours=1)
    assert [e["count"] for e in events(registry)] == [1, 24, 24]


def test_a_changed_figure_is_recorded_at_once(registry):
    registry.record_notifications(payload())
    registry.record_notifications(payload(summary="应急关停：大峪街道 有 2 名幼儿待安置"))
    assert len(events(registry)) == 2


def test_a_start_that_moves_while_firing_continues_the_episode_and_its_acknowledgement(registry):
    registry.record_notifications(payload())
    registry.acknowledge_alert("fp1", "duty (oncall)", "已联系")
    # Prometheus and Alertmanager restarted: the same alert, with a later start.
    registry.record_notifications(payload(starts="2026-11-30T02:30:00Z"))
    alert = folded(registry)
    assert alert["starts_at"] == "2026-11-30T02:00:00Z" and alert["acknowledged_by"] == "duty (oncall)"
    with pytest.raises(ConflictingEvent, match="already acknowledged"):
        registry.acknowledge_alert("fp1", "duty (oncall)", None)


def test_an_acknowledgement_with_a_silence_holds_through_a_re_fire_until_the_silence_ends(registry):
    registry.record_notifications(payload())
    until = (T0 + timedelta(hours=4)).isoformat()
    registry.acknowledge_alert("fp1", "duty (oncall)", None, {"silence_id": "s1", "silenced_until": until})
    registry.record_notifications(payload("resolved"))
    registry.test_clock.advance(hours=1)
    registry.record_notifications(payload(starts="2026-11-30T03:00:00Z"))  # fires again, a new episode
    alert = folded(registry)
    assert alert["starts_at"] == "2026-11-30T03:00:00Z" and alert["status"] == "firing"
    assert alert["acknowledged_by"] == "duty (oncall)" and alert["silenced_until"] == until
    with pytest.raises(ConflictingEvent):
        registry.acknowledge_alert("fp1", "duty (oncall)", None)
    registry.test_clock.advance(hours=4)  # the silence has ended: it may be acknowledged again
    registry.acknowledge_alert("fp1", "leader (oncall)", None)


def test_an_acknowledgement_without_a_silence_holds_for_its_episode_only(registry):
    registry.record_notifications(payload())
    registry.acknowledge_alert("fp1", "duty (oncall)", None)
    registry.record_notifications(payload("resolved"))
    registry.record_notifications(payload(starts="2026-11-30T05:00:00Z"))
    assert folded(registry)["acknowledged_by"] is None
    registry.acknowledge_alert("fp1", "duty (oncall)", None)


def test_events_stored_before_counts_and_silences_fold_as_before():
    part = new_part()
    old = [
        {
            "type": "AlertNotified",
            "occurred_at": "2025-01-01T00:00:00+00:00",
            "fingerprint": "fp1",
            "status": "firing",
            "alertname": "EmergencyClosureOpen",
            "labels": LABELS,
            "annotations": {},
            "starts_at": "2025-01-01T00:00:00Z",
            "ends_at": None,
            "receiver": "oncall",
            "group_key": "g",
        }
    ] * 3
    old.append(
        {
            "type": "AlertAcknowledged",
            "occurred_at": "2025-01-01T01:00:00+00:00",
            "fingerprint": "fp1",
            "acknowledged_by": "duty (oncall)",
        }
    )
    for position, event in enumerate(old, start=1):
        apply(
            part,
            {
                "position": position,
                "recorded_at": event["occurred_at"],
                "event": event,
                "context": {"township": None},
                "recorded_by": "alertmanager",
            },
        )
    alert = part["alerts"]["fp1"]
    assert alert["notifications"] == 3 and alert["acknowledged_by"] == "duty (oncall)"
    assert alert["silence_id"] is None and alert["silenced_until"] is None
