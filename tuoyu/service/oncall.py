"""The on-call desk: records what Alertmanager notifies, and acknowledgements that silence.

An acknowledgement creates a silence in Alertmanager (API v2) matching the alert's labels, for
`oncall.acknowledgement_silence` of the tunables: no more repeats and no escalation for it
meanwhile. The silence and its end are recorded with the acknowledgement, as an event.
Repeated notifications of an unchanged alert are counted here between two records (a count
lost if the service stops in between: at most `repeat_record_interval` of repeats).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from tuoyu import clock
from tuoyu.alerts.config import OnCall
from tuoyu.domain.application import Outcome
from tuoyu.domain.oncall import Alert
from tuoyu.domain.problems import ConflictingEvent, EventsRejected, Problem
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.platform import Platform

TIMEOUT_SECONDS = 5.0


class SilenceFailed(Exception):
    """Alertmanager could not be reached or refused the silence; says which and why."""


class Silences:
    """Alertmanager's silences, through its API v2."""

    def __init__(self, alertmanager_url: str) -> None:
        self.url = alertmanager_url.rstrip("/")

    def create(self, labels: dict[str, str], seconds: float, by: str, comment: str) -> str:
        """A silence of `seconds` matching exactly `labels`; returns its id."""
        # In Alertmanager's own time (its Date header): the platform's clock may be set for a demo
        # or a test, and Alertmanager refuses a silence that ends in its past.
        starts = self._alertmanager_now()
        body = {
            "matchers": [
                {"name": name, "value": value, "isRegex": False, "isEqual": True}
                for name, value in sorted(labels.items())
            ],
            "startsAt": starts.isoformat(),
            "endsAt": (starts + timedelta(seconds=seconds)).isoformat(),
            "createdBy": by,
            "comment": comment,
        }
        request = urllib.request.Request(
            f"{self.url}/api/v2/silences",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with self._calling():
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return str(json.load(response)["silenceID"])

    def _alertmanager_now(self) -> datetime:
        with self._calling():
            with urllib.request.urlopen(f"{self.url}/api/v2/status", timeout=TIMEOUT_SECONDS) as response:
                return parsedate_to_datetime(response.headers["Date"])

    @contextmanager
    def _calling(self) -> Iterator[None]:
        try:
            yield
        except urllib.error.HTTPError as error:
            raise SilenceFailed(
                f"Alertmanager {self.url} refused the silence: {error.code} "
                f"{error.read().decode('utf-8', 'replace')[:200]}"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SilenceFailed(f"Alertmanager {self.url} is not reachable: {error}") from None


TOWNSHIP_ROLE = "township:"
# units.json: `townships` (各镇街) stands for the government of each township concerned.
EACH_TOWNSHIP = "townships"


def visible_to(role: str | None, labels: dict[str, str]) -> bool:
    """What an on-call inbox lists: a township's token (`township:<id>`) sees the alerts about its
    township (label `township`) and, of the district-wide alerts, only those about a target its
    government shares with every other township (`unit="townships"`, e.g. the inclusive coverage);
    no other township's alerts, no other unit's targets, no platform alerts. Every other role
    sees every alert."""
    if role is None or not role.startswith(TOWNSHIP_ROLE):
        return True
    township = labels.get("township")
    if township is not None:
        return township == role.removeprefix(TOWNSHIP_ROLE)
    return labels.get("unit") == EACH_TOWNSHIP


class OnCallDesk:
    def __init__(self, platform: Platform, tunables: OnCall, alertmanager_url: str | None) -> None:
        self.platform = platform
        self.tunables = tunables
        self.silences = Silences(alertmanager_url) if alertmanager_url else None
        self._repeats: dict[str, int] = {}
        self._lock = threading.Lock()

    def record(self, payload: dict[str, Any]) -> Outcome:
        with self._lock:
            outcome = self.platform.registry.record_notifications(
                payload,
                repeats=self._repeats,
                record_every=timedelta(seconds=self.tunables.repeat_record_interval.seconds),
            )
        if self.platform.projector is not None and outcome.recorded:
            self.platform.projector.wake()
        return outcome

    def alerts(self, status: str, role: str | None = None) -> list[dict[str, Any]]:
        """The record's alerts (those `role` sees: visible_to), each with `acknowledged`: whether
        an acknowledgement holds now (it holds for its episode, and one with a silence until the
        silence ends)."""
        now = clock.now()
        listed = [alert for alert in self.platform.oncall(status) if visible_to(role, alert["labels"])]
        for alert in listed:
            until = alert.get("silenced_until")
            alert["acknowledged"] = bool(alert.get("acknowledged_by")) and (
                until is None or datetime.fromisoformat(until) > now
            )
        return listed

    def acknowledge(self, fingerprint: str, token: TokenRecord, note: str | None) -> dict[str, Any]:
        """Silence the alert (when an Alertmanager is configured) and record the acknowledgement."""
        known = [a for a in self.platform.oncall("all") if a["fingerprint"] == fingerprint]
        if not known:
            raise EventsRejected([Problem(0, None, "fingerprint", f"no alert {fingerprint!r} was ever notified")])
        aggregate = self.platform.registry.load(Alert.create_id(fingerprint))
        if aggregate is not None and aggregate.acknowledged_at(clock.now()):
            raise ConflictingEvent(
                [Problem(0, None, "fingerprint", f"alert {fingerprint} is already acknowledged", conflict=True)]
            )
        by = f"{token.name} ({token.role})"
        silence, problem = None, None
        if self.silences is not None:
            seconds = self.tunables.acknowledgement_silence.seconds
            until = clock.now() + timedelta(seconds=seconds)  # in the record's time, as its other times
            try:
                silence_id = self.silences.create(
                    known[0]["labels"], seconds, by, note or f"值班确认：{known[0]['alertname']}"
                )
                silence = {"silence_id": silence_id, "silenced_until": until.isoformat()}
            except SilenceFailed as failure:
                problem = str(failure)
        else:
            problem = "no Alertmanager is configured (TUOYU_ALERTMANAGER_URL): recorded without a silence"
        outcome = self.platform.registry.acknowledge_alert(fingerprint, by, note, silence)
        if self.platform.projector is not None:
            self.platform.projector.wake()
        return {
            "acknowledged": fingerprint,
            "position": outcome.position,
            **(silence or {}),
            "silence_problem": problem,
        }
