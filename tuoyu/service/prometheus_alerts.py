"""The firing alerts of the Prometheus beside the service (its /api/v1/alerts), for the wall page."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

# Labels the wall may show: the scope labels of the alert rules (kpis.md), never free text.
SHOWN_LABELS = ("alertname", "severity", "township", "scope", "kpi", "course", "view")
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
# Many wall screens poll; Prometheus evaluates its rules every few seconds at most anyway.
CACHE_SECONDS = 3.0
TIMEOUT_SECONDS = 2.0


class FiringAlerts:
    def __init__(self, prometheus_url: str | None) -> None:
        self.url = prometheus_url.rstrip("/") if prometheus_url else None
        self._lock = threading.Lock()
        self._cached: dict[str, Any] | None = None
        self._cached_at = float("-inf")

    def current(self) -> dict[str, Any]:
        """{"available": bool, "firing": [...], "error": str | None}; never raises."""
        if self.url is None:
            return {"available": False, "firing": [], "error": "Prometheus is not configured (TUOYU_PROMETHEUS_URL)"}
        with self._lock:
            cached = self._cached
            if cached is None or time.monotonic() - self._cached_at > CACHE_SECONDS:
                cached = self._cached = self._fetch()
                self._cached_at = time.monotonic()
            return cached

    def _fetch(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/alerts", timeout=TIMEOUT_SECONDS) as response:
                body = json.load(response)
            alerts = body["data"]["alerts"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            return {"available": False, "firing": [], "error": f"Prometheus at {self.url} is not reachable: {error}"}
        return {"available": True, "firing": firing_alerts(alerts), "error": None}


def firing_alerts(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prometheus's alerts in state firing, most severe and oldest first, with public fields only."""
    found = []
    for alert in alerts:
        if not isinstance(alert, dict) or alert.get("state") != "firing":
            continue
        labels = alert.get("labels") or {}
        annotations = alert.get("annotations") or {}
        found.append(
            {
                "labels": {k: str(labels[k]) for k in SHOWN_LABELS if k in labels},
                "summary": str(annotations.get("summary", "")),
                "description": str(annotations.get("description", "")),
                "active_at": alert.get("activeAt"),
            }
        )
    return sorted(
        found,
        key=lambda a: (
            SEVERITY_ORDER.get(a["labels"].get("severity"), 3),
            a["active_at"] or "",
            a["labels"].get("alertname", ""),
        ),
    )
