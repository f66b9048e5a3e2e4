"""The alerting tunables (alerts/tunables.yaml) as one typed configuration.

Every generator (rule files, Alertmanager configurations, dashboards) reads a `Config`, never the
raw YAML. Loading checks every field: a wrong or missing value is reported with its path in the
file and what is allowed, and nothing is generated.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tuoyu.domain.catalogue import TOWNSHIP_IDS, UNIT_IDS

DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
# The health commission receives every alert through the on-call receivers; the other units of
# units.json have a receiver each.
COMMISSION = "health_commission"
ROUTED_UNITS: tuple[str, ...] = tuple(unit for unit in UNIT_IDS if unit != COMMISSION)
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


class ConfigProblem(ValueError):
    """A tunable that is missing or wrong: says where (`source: a.b.c`) and what is allowed."""


class Duration(str):
    """A Prometheus duration ("30s", "1h30m")."""

    @property
    def seconds(self) -> float:
        return sum(int(n) * SECONDS[unit] for n, unit in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", self))


@dataclass(frozen=True)
class Rules:
    evaluation_interval: Duration
    emergency_closure_for: Duration
    pending_for: Duration
    keep_firing_for: Duration
    rehoming_deadline_hours: int
    after_due_grace: Duration
    target_missed_pages_for: Duration
    behind_pace_after: Duration
    behind_pace_keep_firing_for: Duration
    projection_lag_events: int
    projection_lag_for: Duration
    metrics_absent_for: Duration
    target_down_for: Duration
    notification_failure_window: Duration


@dataclass(frozen=True)
class TimeOfDay:
    start_time: str
    end_time: str


@dataclass(frozen=True)
class WorkingHours:
    weekdays: list[str]
    times: list[TimeOfDay]
    location: str
    holiday_years: list[int]


@dataclass(frozen=True)
class Alertmanager:
    recorder_url: str
    recorder_secret_file: str
    recorder_group_wait: Duration
    critical_group_wait: Duration
    critical_group_interval: Duration
    critical_repeat_interval: Duration
    target_missed_repeat_interval: Duration
    escalate_after: Duration
    escalation_repeat_interval: Duration
    warning_group_wait: Duration
    warning_group_interval: Duration
    warning_repeat_interval: Duration
    working_hours: WorkingHours
    watchdog_url: str
    watchdog_repeat_interval: Duration


@dataclass(frozen=True)
class Email:
    to: str
    escalate_to: str
    from_: str
    smarthost: str
    auth_username: str
    auth_password_file: str
    require_tls: bool


@dataclass(frozen=True)
class WeCom:
    api_url: str
    corp_id: str
    agent_id: str
    api_secret_file: str
    to_party: str
    escalate_to_party: str


@dataclass(frozen=True)
class Receivers:
    email: Email
    wecom: WeCom


@dataclass(frozen=True)
class Contact:
    """Where one responsible unit or township government is told: a mailbox, a WeCom party."""

    id: str
    email: str
    wecom_party: str


@dataclass(frozen=True)
class Routing:
    """Contacts of the responsible units (units.json) and of the township governments: each has
    its own receiver and route; one not listed (or with both fields empty) has a receiver that
    notifies nobody, and its alerts are still in the platform's on-call record."""

    units: list[Contact]
    townships: list[Contact]


@dataclass(frozen=True)
class OnCall:
    acknowledgement_silence: Duration
    repeat_record_interval: Duration


@dataclass(frozen=True)
class Config:
    external_url: str
    rules: Rules
    alertmanager: Alertmanager
    receivers: Receivers
    routing: Routing
    oncall: OnCall

    def replace(self, **changes: Any) -> Config:
        """A copy with top-level or dotted fields changed: replace(**{"rules.pending_for": "1s"})."""
        return _replace(
            self,
            {key.split(".")[0]: value for key, value in changes.items() if "." not in key},
            {key: value for key, value in changes.items() if "." in key},
        )

    @property
    def runbook_url(self) -> str:
        return f"{self.external_url.rstrip('/')}/runbook"

    @property
    def oncall_url(self) -> str:
        """The on-call page, where alerts are listed and acknowledged."""
        return f"{self.external_url.rstrip('/')}/oncall"


def _replace(config: Any, top: dict[str, Any], dotted: dict[str, Any]) -> Any:
    hints = _field_types(type(config))
    values = {key: _coerce(value, hints[key], key, "replace()") for key, value in top.items()}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in dotted.items():
        head, rest = key.split(".", 1)
        nested.setdefault(head, {})[rest] = value
    for head, inner in nested.items():
        values[head] = _replace(
            getattr(config, head),
            {k: v for k, v in inner.items() if "." not in k},
            {k: v for k, v in inner.items() if "." in k},
        )
    return dataclasses.replace(config, **values)


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _yaml_key(name: str) -> str:
    return name.rstrip("_")  # `from_` is `from` in the file


def _coerce(value: Any, kind: Any, where: str, source: str) -> Any:
    origin = typing.get_origin(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ConfigProblem(f"{source}: {where}: expected a mapping of {', '.join(_field_types(kind))}")
        return _build(kind, value, where, source)
    if origin is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise ConfigProblem(f"{source}: {where}: expected a list")
        return [_coerce(v, item, f"{where}[{n}]", source) for n, v in enumerate(value)]
    if kind is Duration:
        if not isinstance(value, str) or not DURATION.match(value):
            raise ConfigProblem(
                f"{source}: {where}: {value!r} is not a duration; expected Prometheus syntax such as 30s, 10m, 6h, 2d"
            )
        return Duration(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigProblem(f"{source}: {where}: expected true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigProblem(f"{source}: {where}: expected a whole number, got {value!r}")
        return value
    if kind is str:
        if value is None:
            return ""
        if not isinstance(value, (str, int)):
            raise ConfigProblem(f"{source}: {where}: expected text, got {value!r}")
        return str(value)
    if isinstance(kind, types.UnionType):
        raise TypeError(f"unsupported type {kind}")
    raise TypeError(f"unsupported type {kind} at {where}")


def _build(cls: type, raw: dict[str, Any], where: str, source: str) -> Any:
    hints = _field_types(cls)
    keys = {_yaml_key(name) for name in hints}
    unknown = sorted(set(raw) - keys)
    if unknown:
        at = f"{where}." if where else ""
        raise ConfigProblem(f"{source}: {at}{unknown[0]}: unknown tunable; allowed here: {', '.join(sorted(keys))}")
    values = {}
    for name, kind in hints.items():
        path = f"{where}.{_yaml_key(name)}" if where else _yaml_key(name)
        if _yaml_key(name) not in raw:
            raise ConfigProblem(f"{source}: {path}: missing")
        values[name] = _coerce(raw[_yaml_key(name)], kind, path, source)
    return cls(**values)


def parse_config(text: str, source: str = "tunables.yaml") -> Config:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigProblem(f"{source}{line}: not YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{source}: expected a mapping of {', '.join(_field_types(Config))}")
    config = _build(Config, raw, "", source)
    _check_contacts(config.routing, source)
    return config


def _check_contacts(routing: Routing, source: str) -> None:
    for field_name, allowed in (("units", ROUTED_UNITS), ("townships", TOWNSHIP_IDS)):
        seen: set[str] = set()
        for n, contact in enumerate(getattr(routing, field_name)):
            if contact.id not in allowed:
                raise ConfigProblem(
                    f"{source}: routing.{field_name}[{n}].id: {contact.id!r} is not known; "
                    f"allowed: {', '.join(allowed)}"
                )
            if contact.id in seen:
                raise ConfigProblem(f"{source}: routing.{field_name}[{n}].id: {contact.id!r} is listed twice")
            seen.add(contact.id)


def load_config(path: Path) -> Config:
    return parse_config(path.read_text(encoding="utf-8"), str(path))


# The tunables the program runs with: a copy of alerts/tunables.yaml packaged with it, written by
# `tuoyu generate` and checked equal to it by the drift test (tests/unit/test_generated_files.py).
PACKAGED_TUNABLES = "tunables.yaml"


def packaged_text(name: str = PACKAGED_TUNABLES) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def packaged_config() -> Config:
    return parse_config(packaged_text(), f"tuoyu/alerts/{PACKAGED_TUNABLES} (packaged)")
