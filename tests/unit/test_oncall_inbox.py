"""Which alerts an on-call inbox lists: a township's token its township's, the commission all."""

from __future__ import annotations

import pytest

from tuoyu.service.oncall import visible_to

FLOOR_QINGSHUI = {
    "alertname": "TownshipBelowSlotFloor",
    "township": "qingshui",
    "scope": "qingshui",
    "kpi": "township_min_slots",
    "unit": "townships",
}
INCIDENT_YONGDING = {"alertname": "SeriousIncidentOpen", "township": "yongding"}
COVERAGE = {"alertname": "TargetMissed", "scope": "district", "kpi": "inclusive_coverage", "unit": "townships"}
KINDERGARTENS = {
    "alertname": "TargetMissed",
    "scope": "district",
    "kpi": "kindergarten_new_inclusive_slots",
    "unit": "education_commission",
}
PLATFORM = {"alertname": "ScrapeTargetDown", "job": "tuoyu", "instance": "127.0.0.1:8000"}
EVERY = (FLOOR_QINGSHUI, INCIDENT_YONGDING, COVERAGE, KINDERGARTENS, PLATFORM)


def test_a_township_sees_its_own_alerts_and_the_district_targets_every_township_shares():
    seen = [labels for labels in EVERY if visible_to("township:qingshui", labels)]
    assert seen == [FLOOR_QINGSHUI, COVERAGE]


def test_a_township_sees_no_other_townships_alert_even_one_naming_every_township():
    assert not visible_to("township:dayu", FLOOR_QINGSHUI)
    assert not visible_to("township:dayu", INCIDENT_YONGDING)


@pytest.mark.parametrize("role", ["admin", "oncall", "registry", "inspector", "auditor", None])
def test_every_other_role_sees_every_alert(role):
    assert all(visible_to(role, labels) for labels in EVERY)
