"""Alertmanager's webhook payload, as version 0.25 posts it to the on-call receiver."""

from __future__ import annotations

# Nanoseconds, an upper-case Z, and the Go zero time for "no end yet".
ALERT = {
    "status": "firing",
    "labels": {"alertname": "TownshipBelowMinSlots", "township": "yongding"},
    "annotations": {"summary": "永定镇托位低于底线", "description": "第一行\n第二行"},
    "startsAt": "2026-11-30T08:00:00.123456789Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus/graph",
    "fingerprint": "5f2c7a1e9b3d4c60",
}
PAYLOAD = {
    "version": "4",
    "groupKey": '{}:{alertname="TownshipBelowMinSlots"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "oncall",
    "groupLabels": {},
    "commonLabels": {},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager",
    "alerts": [ALERT],
}
