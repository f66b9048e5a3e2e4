"""The Alertmanager configuration: receivers, routes, inhibitions, working hours.

Routes, in order: Watchdog to the dead man's switch (only there); every other alert to the
platform's recorder (`continue: true`); critical alerts to the escalation receivers after
`escalate_after` (`continue: true`; an acknowledgement's silence stops it); each township's alerts
to its government and each target's to its responsible units (`continue: true`, kpis.md's
revision of 2026-11-30); then the commission's: TargetMissed daily, critical alerts to mail and
WeCom at once, warnings as a digest in working hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuoyu.alerts.calendar import time_intervals
from tuoyu.alerts.config import ROUTED_UNITS, Config, Contact
from tuoyu.alerts.notices import EMAIL_HTML, EMAIL_SUBJECT, EMAIL_TEXT, WECOM_MESSAGE
from tuoyu.domain.catalogue import TOWNSHIP_IDS

GROUP_BY = ["alertname", "township", "scope", "kpi", "view", "job", "instance", "integration"]
# Alertmanager 0.25 takes WeCom's API secret only inline (no api_secret_file): committed files
# carry this marker, replaced by the secret read from `receivers.wecom.api_secret_file` when the
# configuration is rendered at start (`tuoyu serve --alerting`; docker-compose.yml's entrypoint).
WECOM_SECRET_PLACEHOLDER = "__WECOM_API_SECRET__"


@dataclass(frozen=True)
class Deployment:
    """Where the recorder is and how Alertmanager authenticates to it, in one deployment."""

    recorder_url: str
    recorder_secret_file: str
    wecom_secret: str = WECOM_SECRET_PLACEHOLDER


def _timing(wait: str, interval: str, repeat: str) -> dict[str, str]:
    return {"group_wait": wait, "group_interval": interval, "repeat_interval": repeat}


def routes(config: Config) -> dict[str, Any]:
    a = config.alertmanager
    critical = _timing(a.critical_group_wait, a.critical_group_interval, a.critical_repeat_interval)
    children: list[dict[str, Any]] = []
    if a.watchdog_url:
        children.append(
            {
                "matchers": ['alertname="Watchdog"'],
                "receiver": "deadmansswitch",
                **_timing("0s", a.watchdog_repeat_interval, a.watchdog_repeat_interval),
            }
        )
    children += [
        {
            "matchers": ['alertname!="Watchdog"'],
            "receiver": "recorder",
            "continue": True,
            **_timing(a.recorder_group_wait, a.critical_group_interval, a.critical_repeat_interval),
        },
        {
            "matchers": ['severity="critical"'],
            "receiver": "escalation",
            "continue": True,
            **_timing(a.escalate_after, a.critical_group_interval, a.escalation_repeat_interval),
        },
        *[_told(config, TOWNSHIP_RECEIVER + township, [f'township="{township}"']) for township in TOWNSHIP_IDS],
        *[_told(config, UNIT_RECEIVER + unit, _unit_matchers(unit)) for unit in ROUTED_UNITS],
        {
            "matchers": ['alertname="TargetMissed"'],
            "receiver": "oncall-daily",
            **_timing(a.critical_group_wait, a.critical_group_interval, a.target_missed_repeat_interval),
        },
        {"matchers": ['severity="critical"'], "receiver": "oncall", **critical},
        {
            "matchers": ['severity=~"warning|info"'],
            "receiver": "oncall-digest",
            "group_by": ["alertname"],
            **_timing(a.warning_group_wait, a.warning_group_interval, a.warning_repeat_interval),
            "active_time_intervals": ["working-hours"],
            "mute_time_intervals": ["public-holidays"],
        },
        # Anything else (no severity): paged, never lost behind the recorder's `continue`.
        {"receiver": "oncall", **critical},
    ]
    return {"receiver": "oncall", "group_by": GROUP_BY, **critical, "routes": children}


TOWNSHIP_RECEIVER = "township-"
UNIT_RECEIVER = "unit-"
# units.json: "`townships` stands for the government of each town or subdistrict concerned: an
# alert about one township goes to that township" (through its township route).
EACH_TOWNSHIP = "townships"


def _unit_matchers(unit: str) -> list[str]:
    if unit == EACH_TOWNSHIP:
        return [f'unit="{unit}"', 'township=""']
    return [f'unit="{unit}"']


def _told(config: Config, receiver: str, matchers: list[str]) -> dict[str, Any]:
    """A unit's or a township government's route: like the commission's (critical at once and
    hourly, TargetMissed daily, warnings as a working-hours digest), then on to the next routes."""
    a = config.alertmanager
    return {
        "matchers": matchers,
        "receiver": receiver,
        "continue": True,
        **_timing(a.critical_group_wait, a.critical_group_interval, a.critical_repeat_interval),
        "routes": [
            {
                "matchers": ['alertname="TargetMissed"'],
                "receiver": receiver,
                **_timing(a.critical_group_wait, a.critical_group_interval, a.target_missed_repeat_interval),
            },
            {
                "matchers": ['severity=~"warning|info"'],
                "receiver": receiver,
                "group_by": ["alertname"],
                **_timing(a.warning_group_wait, a.warning_group_interval, a.warning_repeat_interval),
                "active_time_intervals": ["working-hours"],
                "mute_time_intervals": ["public-holidays"],
            },
        ],
    }


MISSED_TARGET_ALERTS = (
    "TargetMissed",
    "TownshipBelowSlotFloor",
    "InclusiveShareBelowTarget",
    "CaregiverCertificationBelowTarget",
)


def inhibit_rules(kpi_alerts: list[str]) -> list[dict[str, Any]]:
    return [
        # A missed target is no longer behind pace: its missed alert replaces TargetBehindPace.
        {
            "source_matchers": ['alertname=~"' + "|".join(MISSED_TARGET_ALERTS) + '"'],
            "target_matchers": ['alertname="TargetBehindPace"'],
            "equal": ["scope", "kpi"],
        },
        # A township below its slot floor says what a missed slot target of that township says.
        {
            "source_matchers": ['alertname="TownshipBelowSlotFloor"'],
            "target_matchers": ['alertname="TargetMissed"', 'kpi=~"slots_total|new_slots"'],
            "equal": ["scope"],
        },
        {
            "source_matchers": ['alertname="KpiMetricsAbsent"'],
            "target_matchers": ['alertname=~"' + "|".join(kpi_alerts) + '"'],
            "equal": ["team"],
        },
    ]


def _email(config: Config, to: str, send_resolved: bool = True) -> dict[str, Any]:
    e = config.receivers.email
    mail: dict[str, Any] = {
        "to": to,
        "from": e.from_,
        "smarthost": e.smarthost,
        "require_tls": e.require_tls,
        "send_resolved": send_resolved,
        "headers": {"Subject": EMAIL_SUBJECT},
        "html": EMAIL_HTML,
        "text": EMAIL_TEXT,
    }
    if e.auth_username:
        mail.update(auth_username=e.auth_username, auth_password_file=e.auth_password_file)
    return mail


def _wecom(config: Config, deployment: Deployment, party: str, send_resolved: bool = True) -> dict[str, Any]:
    w = config.receivers.wecom
    return {
        "api_url": w.api_url,
        "corp_id": w.corp_id,
        "agent_id": w.agent_id,
        "api_secret": deployment.wecom_secret,
        "to_party": party,
        "message": WECOM_MESSAGE,
        "send_resolved": send_resolved,
    }


def _people(
    config: Config, deployment: Deployment, name: str, to: str, party: str, send_resolved: bool = True
) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": name}
    if to:
        receiver["email_configs"] = [_email(config, to, send_resolved)]
    if config.receivers.wecom.corp_id and party:
        receiver["wechat_configs"] = [_wecom(config, deployment, party, send_resolved)]
    return receiver


def receivers(config: Config, deployment: Deployment) -> list[dict[str, Any]]:
    e, w = config.receivers.email, config.receivers.wecom
    recorder = {
        "url": deployment.recorder_url,
        "send_resolved": True,
        "max_alerts": 0,
        "http_config": {"authorization": {"type": "Bearer", "credentials_file": deployment.recorder_secret_file}},
    }
    found = [
        {"name": "recorder", "webhook_configs": [recorder]},
        _people(config, deployment, "oncall", e.to, w.to_party),
        # TargetMissed stops after target_missed_pages_for: no "resolved" mail for that.
        _people(config, deployment, "oncall-daily", e.to, w.to_party, send_resolved=False),
        _people(config, deployment, "oncall-digest", e.to, w.to_party),
        # An empty `to` leaves the commission's mail out, escalations included.
        _people(config, deployment, "escalation", e.escalate_to if e.to else "", w.escalate_to_party),
    ]
    found += contact_receivers(config, deployment)
    if config.alertmanager.watchdog_url:
        found.append(
            {
                "name": "deadmansswitch",
                "webhook_configs": [{"url": config.alertmanager.watchdog_url, "send_resolved": False}],
            }
        )
    return found


def contact_receivers(config: Config, deployment: Deployment) -> list[dict[str, Any]]:
    """One receiver per township government and per responsible unit but the commission; a
    township or unit without a contact in the tunables notifies nobody (the record still has it)."""
    routing = config.routing
    found = []
    for prefix, ids, contacts in (
        (TOWNSHIP_RECEIVER, TOWNSHIP_IDS, routing.townships),
        (UNIT_RECEIVER, ROUTED_UNITS, routing.units),
    ):
        by_id = {contact.id: contact for contact in contacts}
        for id_ in ids:
            contact = by_id.get(id_, Contact(id_, "", ""))
            found.append(_people(config, deployment, prefix + id_, contact.email, contact.wecom_party))
    return found


def render_alertmanager(config: Config, deployment: Deployment, kpi_alerts: list[str]) -> dict[str, Any]:
    return {
        "route": routes(config),
        "inhibit_rules": inhibit_rules(kpi_alerts),
        "time_intervals": time_intervals(config.alertmanager.working_hours),
        "receivers": receivers(config, deployment),
    }
