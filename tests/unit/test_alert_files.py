"""The generated alerting files: valid, tested with promtool and amtool, and complete against
kpis.md (every alert, its labels, annotations and runbook section); routes, receivers,
inhibitions and working hours as the on-call officer needs them.

promtool and amtool are Debian's (packages prometheus, prometheus-alertmanager); `make test`
installs them. A missing tool fails these tests: alerting that was never checked must not
pass as green. That the files are what the tunables generate is tests/unit/test_generated_files.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tuoyu.alerts.calendar import make_up_working_days, public_holidays
from tuoyu.alerts.config import ROUTED_UNITS, Duration, load_config
from tuoyu.alerts.routing import WECOM_SECRET_PLACEHOLDER
from tuoyu.dashboards.generated import kpi_alerts
from tuoyu.dashboards.subsystems import SUBSYSTEMS
from tuoyu.domain.catalogue import TOWNSHIP_IDS, UNIT_IDS

PROJECT = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT / "alerts" / "generated" / "rules"
TESTS_DIR = PROJECT / "alerts" / "tests"
ALERTMANAGER_FILES = (PROJECT / "alerts" / "generated" / "alertmanager.yml", PROJECT / "deploy" / "alertmanager.yml")
ALERTMANAGER_YML = ALERTMANAGER_FILES[0]
CONFIG = load_config(PROJECT / "alerts" / "tunables.yaml")
RUNBOOK = PROJECT / "docs" / "runbook.md"
METRICS_SOURCES = sorted((PROJECT / "tuoyu" / "metrics").glob("*.py"))


def exported_names() -> set[str]:
    """Every childcare_* family the collectors name (a counter's samples end in _total)."""
    names = {
        name
        for source in METRICS_SOURCES
        for name in re.findall(r'"(childcare_[a-z_]+)"', source.read_text(encoding="utf-8"))
    }
    return names | {f"{name}_total" for name in names}


PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}
RULE_FILES = tuple(s.NAME for s in SUBSYSTEMS)
# alert name -> (severity, subsystem)
ALERTS = {alert.name: (alert.severity, s.NAME) for s in SUBSYSTEMS for alert in s.alerts(CONFIG)}
# Prometheus's --rules.alert.for-grace-period: an alert with a longer `for` waits at least this long
# after a restart of Prometheus, and Alertmanager resolves it meanwhile.
FOR_GRACE_SECONDS = 600

# The labels that say what an alert is about (kpis.md, "Alerts": "the scope labels it concerns").
SCOPE_LABELS = {
    "EmergencyClosureOpen": ("township",),
    "ChildrenAwaitingRehomingTooLong": ("township",),
    "RectificationOverdue": ("township",),
    "TownshipBelowSlotFloor": ("township", "scope", "kpi"),
    "InclusiveShareBelowTarget": ("scope", "kpi"),
    "TargetBehindPace": ("scope", "kpi"),
    "TargetMissed": ("scope", "kpi"),
    "CaregiverCertificationBelowTarget": ("scope", "kpi"),
    "ProjectionLagging": ("view",),
    "ProjectionStuck": ("job", "instance", "view"),
    "ProjectionUnknownEvents": ("view", "type"),
    "KpiMetricsAbsent": (),
    "Watchdog": (),
    "ScrapeTargetDown": ("job", "instance"),
    "TownshipMetricsMissing": (),
    "AlertmanagerNotificationsFailing": ("integration",),
    "MonitoringRestarted": ("job", "instance"),
    "SeriousIncidentOpen": ("township",),
    "HighRiskInstitutionUninspected": ("township",),
    "InstitutionFailedInspection": ("township",),
    "HealthTrainingMissing": ("township",),
    "InclusiveFeeAboveCap": ("township",),
}
TEAM = {"team": "health-commission"}
PEOPLE = "oncall"
# `amtool config routes test` cases: the labels an alert arrives with -> the receivers it reaches.
# Every alert but Watchdog reaches the recorder; critical ones page (mail, WeCom) at once and
# escalate unless acknowledged; TargetMissed pages daily; warnings go to the working-hours digest.
# An alert about one township also reaches that township's government (township-<id>), and an
# alert about a target the unit it names (unit-<id>; kpis.md, revision of 2026-11-30).
ROUTE_CASES = [
    (
        {"alertname": "EmergencyClosureOpen", "severity": "critical", "township": "dayu", **TEAM},
        "recorder,escalation,township-dayu,oncall",
    ),
    (
        {"alertname": "ChildrenAwaitingRehomingTooLong", "severity": "critical", "township": "qingshui", **TEAM},
        "recorder,escalation,township-qingshui,oncall",
    ),
    (
        {"alertname": "TargetMissed", "severity": "critical", "scope": "district", "kpi": "slots_total", **TEAM},
        "recorder,escalation,oncall-daily",
    ),
    # The plan's 2024 kindergarten target names the education commission: it is told, daily.
    (
        {
            "alertname": "TargetMissed",
            "severity": "critical",
            "scope": "district",
            "kpi": "kindergarten_new_inclusive_slots",
            "unit": "education_commission",
            **TEAM,
        },
        "recorder,escalation,unit-education_commission,oncall-daily",
    ),
    # A district target naming 各镇街 (no one township): the townships' own receiver.
    (
        {
            "alertname": "TargetMissed",
            "severity": "critical",
            "scope": "district",
            "kpi": "inclusive_coverage",
            "unit": "townships",
            **TEAM,
        },
        "recorder,escalation,unit-townships,oncall-daily",
    ),
    # The commission's copy of a target alert: its own receivers only (it gets everything anyway).
    (
        {
            "alertname": "TargetMissed",
            "severity": "critical",
            "scope": "district",
            "kpi": "slots_total",
            "unit": "health_commission",
            **TEAM,
        },
        "recorder,escalation,oncall-daily",
    ),
    (
        {
            "alertname": "TargetMissed",
            "severity": "critical",
            "scope": "yongding",
            "township": "yongding",
            "kpi": "new_slots",
            **TEAM,
        },
        "recorder,escalation,township-yongding,oncall-daily",
    ),
    ({"alertname": "KpiMetricsAbsent", "severity": "critical", **TEAM}, "recorder,escalation,oncall"),
    (
        {"alertname": "ScrapeTargetDown", "severity": "critical", "job": "tuoyu", "instance": "x:8000", **TEAM},
        "recorder,escalation,oncall",
    ),
    ({"alertname": "TownshipMetricsMissing", "severity": "critical", **TEAM}, "recorder,escalation,oncall"),
    (
        {"alertname": "AlertmanagerNotificationsFailing", "severity": "critical", "integration": "email", **TEAM},
        "recorder,escalation,oncall",
    ),
    (
        {"alertname": "MonitoringRestarted", "severity": "warning", "job": "alertmanager", **TEAM},
        "recorder,oncall-digest",
    ),
    (
        {"alertname": "RectificationOverdue", "severity": "warning", "township": "yanchi", **TEAM},
        "recorder,township-yanchi,oncall-digest",
    ),
    # A township floor alert reaches that township (each copy: the townships' and the commission's).
    (
        {
            "alertname": "TownshipBelowSlotFloor",
            "severity": "warning",
            "township": "qingshui",
            "scope": "qingshui",
            "kpi": "township_min_slots",
            "unit": "townships",
            **TEAM,
        },
        "recorder,township-qingshui,oncall-digest",
    ),
    (
        {
            "alertname": "TownshipBelowSlotFloor",
            "severity": "warning",
            "township": "qingshui",
            "scope": "qingshui",
            "kpi": "township_min_slots",
            "unit": "health_commission",
            **TEAM,
        },
        "recorder,township-qingshui,oncall-digest",
    ),
    (
        {
            "alertname": "InclusiveShareBelowTarget",
            "severity": "warning",
            "scope": "district",
            "kpi": "inclusive_share",
            "unit": "education_commission",
            **TEAM,
        },
        "recorder,unit-education_commission,oncall-digest",
    ),
    (
        {
            "alertname": "TargetBehindPace",
            "severity": "warning",
            "scope": "district",
            "kpi": "heads_trained",
            "unit": "human_resources",
            **TEAM,
        },
        "recorder,unit-human_resources,oncall-digest",
    ),
    (
        {
            "alertname": "CaregiverCertificationBelowTarget",
            "severity": "warning",
            "scope": "district",
            "kpi": "certified_share",
            "unit": "human_resources",
            **TEAM,
        },
        "recorder,unit-human_resources,oncall-digest",
    ),
    ({"alertname": "ProjectionLagging", "severity": "warning", "view": "kpi.v3", **TEAM}, "recorder,oncall-digest"),
    (
        {
            "alertname": "ProjectionStuck",
            "severity": "critical",
            "view": "kpi.v5",
            "job": "tuoyu",
            "instance": "127.0.0.1:8000",
            **TEAM,
        },
        "recorder,escalation,oncall",
    ),
    (
        {
            "alertname": "ProjectionUnknownEvents",
            "severity": "warning",
            "view": "kpi.v5",
            "type": "InstitutionRelocated",
            **TEAM,
        },
        "recorder,oncall-digest",
    ),
    (
        {"alertname": "SeriousIncidentOpen", "severity": "critical", "township": "yongding", **TEAM},
        "recorder,escalation,township-yongding,oncall",
    ),
    (
        {"alertname": "HighRiskInstitutionUninspected", "severity": "warning", "township": "zhaitang", **TEAM},
        "recorder,township-zhaitang,oncall-digest",
    ),
    (
        {"alertname": "InstitutionFailedInspection", "severity": "warning", "township": "longquan", **TEAM},
        "recorder,township-longquan,oncall-digest",
    ),
    (
        {"alertname": "HealthTrainingMissing", "severity": "warning", "township": "junzhuang", **TEAM},
        "recorder,township-junzhuang,oncall-digest",
    ),
    (
        {"alertname": "InclusiveFeeAboveCap", "severity": "warning", "township": "dayu", **TEAM},
        "recorder,township-dayu,oncall-digest",
    ),
    ({"alertname": "Watchdog", "severity": "info", **TEAM}, "deadmansswitch"),
    # Not in the catalogue, but must not be lost: info joins the digest, no severity pages.
    ({"alertname": "SomeFutureNotice", "severity": "info", **TEAM}, "recorder,oncall-digest"),
    ({"alertname": "SomethingUnlabelled"}, "recorder,oncall"),
]

CHINESE = re.compile(r"[\u4e00-\u9fff]")
RECORDING_NAME = re.compile(r"^(district|township|target|view):childcare_[a-z0-9_]+:[a-z][a-z0-9_]*$")
MATCHER = re.compile(r'^(\w+)(=~|!~|!=|=)"(.*)"$')


# --- helpers ----------------------------------------------------------------------------------


def tool(name: str) -> str:
    found = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(found).is_file():
        pytest.fail(
            f"{name} is not installed (Debian package {PACKAGES[name]}): run `make test`, which "
            f"installs it (scripts/ensure-tools.sh), or apt-get install {PACKAGES[name]} as root",
            pytrace=False,
        )
    return found


def run(*command: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def rule_file(name: str) -> Path:
    return RULES_DIR / f"{name}.rules.yml"


def alert_test_file(name: str) -> Path:
    return TESTS_DIR / f"{name}.test.yml"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules_of(name: str) -> list[dict[str, Any]]:
    return [rule for group in load(rule_file(name))["groups"] for rule in group["rules"]]


def all_alert_rules() -> dict[str, tuple[str, dict[str, Any]]]:
    """alert name -> (rule file, rule)."""
    return {rule["alert"]: (name, rule) for name in RULE_FILES for rule in rules_of(name) if "alert" in rule}


def matches(matcher: str, labels: dict[str, str]) -> bool:
    parsed = MATCHER.match(matcher)
    assert parsed, f"cannot read the matcher {matcher!r}"
    label, op, value = parsed.groups()
    actual = labels.get(label, "")
    if op in ("=~", "!~"):
        return bool(re.fullmatch(value, actual)) == (op == "=~")
    return (actual == value) == (op == "=")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# --- promtool and amtool accept the files -----------------------------------------------------


@pytest.mark.parametrize("name", RULE_FILES)
def test_promtool_checks_the_rule_file(name: str) -> None:
    result = run(tool("promtool"), "check", "rules", str(rule_file(name)))
    assert result.returncode == 0, f"promtool check rules {rule_file(name)}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", ALERTMANAGER_FILES, ids=["embedded", "compose"])
def test_amtool_checks_the_alertmanager_config(path: Path) -> None:
    result = run(tool("amtool"), "check-config", str(path))
    assert result.returncode == 0, f"amtool check-config {path}:\n{result.stdout}{result.stderr}"


def test_the_two_alertmanager_configs_differ_only_in_where_the_recorder_is() -> None:
    embedded, compose = (load(path) for path in ALERTMANAGER_FILES)
    recorder = [r for r in compose["receivers"] if r["name"] == "recorder"][0]["webhook_configs"][0]
    assert recorder["url"] == "http://api:8000/api/alerts/webhook"
    for config in (embedded, compose):
        [r for r in config["receivers"] if r["name"] == "recorder"][0]["webhook_configs"][0].pop("url")
    assert embedded == compose


# --- promtool test rules, every test file -----------------------------------------------------


@pytest.fixture(scope="module")
def promtool_runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """All the promtool test runs, started at once (each simulates hours of evaluation)."""
    promtool = tool("promtool")
    runs = {
        name: subprocess.Popen(
            [promtool, "test", "rules", str(alert_test_file(name))],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in RULE_FILES
        if alert_test_file(name).is_file()
    }
    yield runs
    for process in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("name", RULE_FILES)
def test_promtool_unit_tests_pass(name: str, promtool_runs: dict[str, subprocess.Popen[str]]) -> None:
    assert name in promtool_runs, f"{alert_test_file(name)} is missing"
    output, _ = promtool_runs[name].communicate(timeout=600)
    assert promtool_runs[name].returncode == 0, f"promtool test rules {alert_test_file(name)}:\n{output}"


# --- a test file per rule file, testing all of it ---------------------------------------------


@pytest.mark.parametrize("name", RULE_FILES)
def test_each_rule_file_has_a_test_file_reading_it_at_its_interval(name: str) -> None:
    assert sorted(p.name for p in RULES_DIR.glob("*.rules.yml")) == sorted(f"{n}.rules.yml" for n in RULE_FILES)
    assert alert_test_file(name).is_file(), (
        f"{rule_file(name).relative_to(PROJECT)} has no test file alerts/tests/{name}.test.yml"
    )
    tests = load(alert_test_file(name))
    assert tests["rule_files"] == [f"../generated/rules/{name}.rules.yml"]
    intervals = {group["interval"] for group in load(rule_file(name))["groups"]}
    assert intervals == {tests["evaluation_interval"]} == {CONFIG.rules.evaluation_interval}


@pytest.mark.parametrize("name", RULE_FILES)
def test_each_test_file_covers_every_rule_of_its_file(name: str) -> None:
    groups = load(alert_test_file(name))["tests"]
    cases = [case for group in groups for case in group.get("alert_rule_test", [])]
    exprs = " ".join(case["expr"] for group in groups for case in group.get("promql_expr_test", []))
    for rule in rules_of(name):
        if "record" in rule:
            assert re.search(rf"(?<![\w:]){re.escape(rule['record'])}(?![\w:])", exprs), (
                f"{alert_test_file(name).name} has no promql_expr_test for the recording rule {rule['record']}"
            )
            continue
        alert = rule["alert"]
        mine = [case for case in cases if case["alertname"] == alert]
        assert alert == "Watchdog" or any(not case.get("exp_alerts") for case in mine), (
            f"{alert_test_file(name).name}: no case where {alert} is not (yet) firing"
        )
        firing = [expected for case in mine for expected in case.get("exp_alerts") or []]
        assert firing, f"{alert_test_file(name).name}: no case where {alert} fires"
        for expected in firing:
            labels = expected.get("exp_labels", {})
            assert labels.get("severity") == ALERTS[alert][0] and labels.get("team") == TEAM["team"], (alert, labels)
            assert set(SCOPE_LABELS[alert]) <= set(labels), f"{alert} fires without {SCOPE_LABELS[alert]}: {labels}"
            assert {"summary", "description", "runbook_url"} <= set(expected.get("exp_annotations", {})), (
                f"{alert}: a firing case must state summary, description and runbook_url as rendered"
            )


@pytest.mark.parametrize("name", RULE_FILES)
def test_test_inputs_are_the_exported_metrics_as_scraped(name: str) -> None:
    exported = exported_names()
    for group in load(alert_test_file(name))["tests"]:
        for series in group.get("input_series", []):
            metric = series["series"].split("{")[0]
            assert metric in exported or not metric.startswith("childcare_"), (
                f"{alert_test_file(name).name}: {metric} is not a metric the service exports"
            )
            assert re.search(r'\bjob="[^"]+"', series["series"]) and re.search(
                r'\binstance="[^"]+"', series["series"]
            ), f"{alert_test_file(name).name}: give {series['series']} a job and an instance, as a scrape would"


def test_the_rules_read_only_metrics_the_service_exports() -> None:
    exported = exported_names()
    for name in RULE_FILES:
        for rule in rules_of(name):
            used = set(
                re.findall(r"(?<![\w:])(childcare_[a-z_]+)(?![\w:])", rule["expr"] + str(rule.get("annotations")))
            )
            assert used <= exported, f"{rule.get('alert') or rule['record']} reads {sorted(used - exported)}"


# --- every alert, with its labels and annotations ---------------------------------------------


def test_the_rules_hold_the_alerts_of_kpis_md_and_the_self_monitoring_ones() -> None:
    contract = {
        "TownshipBelowSlotFloor",
        "TargetBehindPace",
        "TargetMissed",
        "InclusiveShareBelowTarget",
        "EmergencyClosureOpen",
        "ChildrenAwaitingRehomingTooLong",
        "RectificationOverdue",
        "CaregiverCertificationBelowTarget",
        "ProjectionLagging",
        "KpiMetricsAbsent",
    }
    contract |= {
        "SeriousIncidentOpen",
        "HighRiskInstitutionUninspected",
        "InstitutionFailedInspection",
        "InclusiveFeeAboveCap",
        "HealthTrainingMissing",
    }  # the revision of 2026-11-30
    watchers = {
        "Watchdog",
        "ScrapeTargetDown",
        "TownshipMetricsMissing",
        "AlertmanagerNotificationsFailing",
        "MonitoringRestarted",
    }
    views = {"ProjectionStuck", "ProjectionUnknownEvents"}  # a view stopped at, or skipping, events (#12, #18)
    assert sorted(all_alert_rules()) == sorted(ALERTS) == sorted(contract | watchers | views)


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_each_alert_has_its_severity_team_and_chinese_annotations(alert: str) -> None:
    found = all_alert_rules().get(alert)
    assert found, f"no rule raises {alert}"
    file, rule = found
    severity, group = ALERTS[alert]
    assert file == group, f"{alert} is in {file}.rules.yml, its subsystem is {group}"
    assert rule["labels"] == {"severity": severity, "team": "health-commission"}
    annotations = rule["annotations"]
    assert set(annotations) >= {"summary", "description", "runbook_url", "oncall_url"}
    for key in ("summary", "description"):
        assert CHINESE.search(annotations[key]), f"{alert} {key} is not in Chinese: {annotations[key]!r}"
    assert annotations["runbook_url"] == f"{CONFIG.external_url}/runbook#{alert.lower()}"
    assert annotations["oncall_url"] == f"{CONFIG.external_url}/oncall"


def test_names_are_looked_up_from_the_info_metrics_not_spelled_out_per_township() -> None:
    for _, rule in all_alert_rules().values():
        text = str(rule["annotations"])
        assert "else if" not in text, f"{rule['alert']}: an else-if chain in its annotations"
        for raw in ("$labels.township }}", "$labels.scope }}"):
            if raw in text:
                assert "childcare_township_info" in text, rule["alert"]


def test_closure_alerts_link_to_the_open_closures() -> None:
    for alert in ("EmergencyClosureOpen", "ChildrenAwaitingRehomingTooLong"):
        assert all_alert_rules()[alert][1]["annotations"]["closures_url"] == f"{CONFIG.external_url}/oncall#closures"


# --- surviving faults: short `for`, keep_firing_for -------------------------------------------


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_no_alert_waits_longer_than_prometheus_restores_after_a_restart(alert: str) -> None:
    rule = all_alert_rules()[alert][1]
    assert Duration(rule["for"]).seconds < FOR_GRACE_SECONDS, (
        f'{alert}: for {rule["for"]} would restart after a restart of Prometheus; compare a "since" '
        "timestamp in the expression instead"
    )


def test_every_critical_alert_about_the_figures_keeps_firing_through_missed_scrapes() -> None:
    for alert in kpi_alerts(CONFIG):
        rule = all_alert_rules()[alert][1]
        if ALERTS[alert][0] == "critical":
            assert rule.get("keep_firing_for") == CONFIG.rules.keep_firing_for, alert


# --- a runbook section per alert --------------------------------------------------------------


def test_every_alert_has_a_runbook_section_at_its_runbook_url() -> None:
    headings = [
        line.lstrip("#").strip()
        for line in RUNBOOK.read_text(encoding="utf-8").splitlines()
        if re.match(r"^#{1,6} ", line)
    ]
    anchors = {github_anchor(heading) for heading in headings}
    for alert, (_, rule) in all_alert_rules().items():
        fragment = rule["annotations"]["runbook_url"].split("#", 1)[1]
        assert alert in headings and fragment in anchors, (
            f"docs/runbook.md has no section `## {alert}` for the runbook_url #{fragment}"
        )


def test_each_runbook_section_quotes_the_timing_its_rule_has() -> None:
    sections = dict(
        re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", RUNBOOK.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    )
    for alert, (_, rule) in all_alert_rules().items():
        for key in ("for", "keep_firing_for"):
            if key in rule and rule[key] != "0m":
                assert f"`{key}: {rule[key]}`" in sections.get(alert, ""), (
                    f"docs/runbook.md, {alert}: the rule has {key}: {rule[key]} (alerts/tunables.yaml); say so"
                )


@pytest.mark.parametrize("name", RULE_FILES)
def test_recording_rules_are_named_level_metric_operation(name: str) -> None:
    for rule in rules_of(name):
        if "record" in rule:
            assert RECORDING_NAME.match(rule["record"]), f"{rule['record']} is not level:childcare_metric:operation"


# --- Alertmanager routes, receivers, working hours, inhibitions -------------------------------


@pytest.mark.parametrize("labels, receivers", ROUTE_CASES, ids=[case[0]["alertname"] for case in ROUTE_CASES])
def test_amtool_routes_each_alert_to_its_receivers(labels: dict[str, str], receivers: str) -> None:
    args = [f"{key}={value}" for key, value in labels.items()]
    result = run(
        tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_YML}",
        f"--verify.receivers={receivers}",
        *args,
    )
    assert result.returncode == 0, f"amtool routes {labels} elsewhere than {receivers}:\n{result.stdout}{result.stderr}"


def _routed(labels: dict[str, str], receivers: str) -> None:
    args = [f"{key}={value}" for key, value in labels.items()]
    result = run(
        tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_YML}",
        f"--verify.receivers={receivers}",
        *args,
    )
    assert result.returncode == 0, f"amtool routes {labels} elsewhere than {receivers}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("township", TOWNSHIP_IDS)
def test_amtool_routes_an_alert_about_a_township_to_that_townships_government_and_no_other(township: str) -> None:
    _routed(
        {"alertname": "InstitutionFailedInspection", "severity": "warning", "township": township, **TEAM},
        f"recorder,township-{township},oncall-digest",
    )
    _routed(
        {"alertname": "SeriousIncidentOpen", "severity": "critical", "township": township, **TEAM},
        f"recorder,escalation,township-{township},oncall",
    )


@pytest.mark.parametrize("unit", ROUTED_UNITS)
def test_amtool_routes_an_alert_about_a_target_to_the_unit_it_names(unit: str) -> None:
    _routed(
        {
            "alertname": "TargetBehindPace",
            "severity": "warning",
            "scope": "district",
            "kpi": "new_slots",
            "unit": unit,
            **TEAM,
        },
        f"recorder,unit-{unit},oncall-digest",
    )


def test_every_unit_but_the_commission_and_every_township_has_its_receiver_with_the_tunables_contacts() -> None:
    assert set(ROUTED_UNITS) == set(UNIT_IDS) - {"health_commission"}
    contacts = {f"unit-{c.id}": c for c in CONFIG.routing.units} | {
        f"township-{c.id}": c for c in CONFIG.routing.townships
    }
    for path in ALERTMANAGER_FILES:
        people = {r["name"]: r for r in load(path)["receivers"]}
        expected = {f"unit-{u}" for u in ROUTED_UNITS} | {f"township-{t}" for t in TOWNSHIP_IDS}
        assert expected <= set(people) and "unit-health_commission" not in people
        for name in expected:
            assert people[name]["email_configs"][0]["to"] == contacts[name].email, name
            assert people[name]["wechat_configs"][0]["to_party"] == contacts[name].wecom_party, name


def test_units_and_townships_get_critical_alerts_at_once_and_warnings_as_a_working_hours_digest() -> None:
    told = [r for r in load(ALERTMANAGER_YML)["route"]["routes"] if r["receiver"].startswith(("unit-", "township-"))]
    assert len(told) == len(ROUTED_UNITS) + len(TOWNSHIP_IDS)
    a = CONFIG.alertmanager
    for route in told:
        assert route["continue"] is True and route["group_wait"] == a.critical_group_wait, route["receiver"]
        daily, digest = route["routes"]
        assert daily["matchers"] == ['alertname="TargetMissed"']
        assert daily["repeat_interval"] == a.target_missed_repeat_interval
        assert digest["active_time_intervals"] == ["working-hours"]
        assert digest["mute_time_intervals"] == ["public-holidays"]
        assert {daily["receiver"], digest["receiver"]} == {route["receiver"]}


def test_every_catalogued_alert_has_a_route_case() -> None:
    assert {labels["alertname"] for labels, _ in ROUTE_CASES} >= set(ALERTS)
    for labels, _ in ROUTE_CASES:
        if labels["alertname"] in ALERTS:
            assert labels["severity"] == ALERTS[labels["alertname"]][0]


def _routes() -> dict[str, dict[str, Any]]:
    return {route["receiver"]: route for route in load(ALERTMANAGER_YML)["route"]["routes"] if "matchers" in route}


def test_critical_alerts_page_at_once_repeat_hourly_and_escalate_unless_acknowledged() -> None:
    routes, a = _routes(), CONFIG.alertmanager
    assert (routes[PEOPLE]["group_wait"], routes[PEOPLE]["repeat_interval"]) == (
        a.critical_group_wait,
        a.critical_repeat_interval,
    )
    assert "active_time_intervals" not in routes[PEOPLE], "critical alerts must page at any hour"
    # The escalation waits `escalate_after` before its first notification; the silence an
    # acknowledgement creates mutes it, so an acknowledged alert never escalates.
    assert routes["escalation"]["group_wait"] == a.escalate_after and routes["escalation"]["continue"] is True
    assert routes["recorder"]["continue"] is True and routes["recorder"]["matchers"] == ['alertname!="Watchdog"']


def test_target_missed_repeats_daily_on_its_own_route_and_is_muted_by_the_floor_alert() -> None:
    route = _routes()["oncall-daily"]
    assert route["matchers"] == ['alertname="TargetMissed"'] and route["repeat_interval"] == "24h"
    floor = _alert_labels(
        "TownshipBelowSlotFloor", scope="miaofengshan", township="miaofengshan", kpi="township_min_slots"
    )
    assert _inhibited_by(floor, _alert_labels("TargetMissed", scope="miaofengshan", kpi="slots_total"))
    assert not _inhibited_by(floor, _alert_labels("TargetMissed", scope="dayu", kpi="slots_total"))
    assert not _inhibited_by(floor, _alert_labels("TargetMissed", scope="miaofengshan", kpi="heads_trained"))


def test_watchdog_goes_only_to_the_dead_mans_switch_and_repeats() -> None:
    config = load(ALERTMANAGER_YML)
    route = config["route"]["routes"][0]
    assert route["matchers"] == ['alertname="Watchdog"'] and "continue" not in route
    assert route["repeat_interval"] == CONFIG.alertmanager.watchdog_repeat_interval
    switch = [r for r in config["receivers"] if r["name"] == "deadmansswitch"][0]
    assert switch["webhook_configs"][0]["url"] == CONFIG.alertmanager.watchdog_url


def test_warnings_are_a_digest_in_working_hours_less_holidays_plus_make_up_days() -> None:
    config, a = load(ALERTMANAGER_YML), CONFIG.alertmanager
    digest = _routes()["oncall-digest"]
    assert digest["active_time_intervals"] == ["working-hours"] and digest["mute_time_intervals"] == ["public-holidays"]
    assert (digest["group_wait"], digest["group_interval"], digest["repeat_interval"]) == (
        a.warning_group_wait,
        a.warning_group_interval,
        a.warning_repeat_interval,
    )
    intervals = {i["name"]: i["time_intervals"] for i in config["time_intervals"]}
    assert intervals["working-hours"][0]["weekdays"] == ["monday:friday"]
    assert all(i["location"] == "Asia/Shanghai" for name in intervals for i in intervals[name])

    def dates(name: str) -> set[date]:
        return {
            date(int(i["years"][0]), int(i["months"][0]), int(i["days_of_month"][0]))
            for i in intervals[name]
            if "years" in i
        }

    # 2026: Spring Festival holidays on weekdays are muted; the Saturday worked in exchange is a working day.
    assert date(2026, 2, 16) in dates("public-holidays") and date(2026, 10, 1) in dates("public-holidays")
    assert date(2026, 2, 28) in dates("working-hours") and date(2026, 2, 28).weekday() == 5
    assert dates("public-holidays") == set(public_holidays([2025, 2026]))
    assert dates("working-hours") == set(make_up_working_days([2025, 2026]))


def test_people_get_mail_and_wecom_and_no_secret_is_committed() -> None:
    for path in ALERTMANAGER_FILES:
        config = load(path)
        people = {r["name"]: r for r in config["receivers"]}
        for name, to, party in (
            ("oncall", CONFIG.receivers.email.to, CONFIG.receivers.wecom.to_party),
            ("escalation", CONFIG.receivers.email.escalate_to, CONFIG.receivers.wecom.escalate_to_party),
        ):
            assert people[name]["email_configs"][0]["to"] == to
            assert people[name]["wechat_configs"][0]["to_party"] == party
        for receiver in config["receivers"]:
            for mail in receiver.get("email_configs", []):
                assert (
                    "auth_password" not in mail
                    and mail["auth_password_file"] == CONFIG.receivers.email.auth_password_file
                )
            for wecom in receiver.get("wechat_configs", []):
                assert wecom["api_secret"] == WECOM_SECRET_PLACEHOLDER
            for hook in receiver.get("webhook_configs", []):
                assert "credentials" not in str(hook.get("http_config", {})).replace("credentials_file", "")


def _inhibited_by(source: dict[str, str], target: dict[str, str]) -> bool:
    """Whether Alertmanager would mute `target` while `source` fires (per the generated rules)."""
    for rule in load(ALERTMANAGER_YML)["inhibit_rules"]:
        if (
            all(matches(m, source) for m in rule["source_matchers"])
            and all(matches(m, target) for m in rule["target_matchers"])
            and all(source.get(label, "") == target.get(label, "") for label in rule.get("equal", []))
        ):
            return True
    return False


def _alert_labels(alert: str, **scope: str) -> dict[str, str]:
    return {"alertname": alert, "severity": ALERTS[alert][0], **TEAM, **scope}


def test_absent_metrics_mute_every_kpi_alert_but_not_the_pipeline_and_self_monitoring_alerts() -> None:
    absent = _alert_labels("KpiMetricsAbsent")
    for alert in kpi_alerts(CONFIG):
        assert _inhibited_by(absent, _alert_labels(alert, township="dayu", scope="district", kpi="slots_total")), alert
    for alert in (
        "ProjectionLagging",
        "ProjectionStuck",
        "ProjectionUnknownEvents",
        "ScrapeTargetDown",
        "TownshipMetricsMissing",
        "KpiMetricsAbsent",
        "AlertmanagerNotificationsFailing",
    ):
        assert not _inhibited_by(absent, _alert_labels(alert, view="kpi.v3")), alert


def test_a_missed_target_mutes_its_behind_pace_alert_only() -> None:
    behind = _alert_labels("TargetBehindPace", scope="district", kpi="slots_total")
    assert _inhibited_by(_alert_labels("TargetMissed", scope="district", kpi="slots_total"), behind)
    assert not _inhibited_by(_alert_labels("TargetMissed", scope="district", kpi="new_slots"), behind)
    for alert, kpi, scope in (
        ("TownshipBelowSlotFloor", "township_min_slots", "qingshui"),
        ("InclusiveShareBelowTarget", "inclusive_share", "district"),
        ("CaregiverCertificationBelowTarget", "certified_share", "district"),
    ):
        own = _alert_labels(alert, scope=scope, kpi=kpi)
        assert _inhibited_by(own, _alert_labels("TargetBehindPace", scope=scope, kpi=kpi)), alert
        assert not _inhibited_by(own, _alert_labels("TargetBehindPace", scope=scope, kpi="new_slots")), alert
    # Nothing mutes a page about children without a place.
    for alert in ALERTS:
        for victim in ("EmergencyClosureOpen", "ChildrenAwaitingRehomingTooLong"):
            if alert != "KpiMetricsAbsent":
                assert not _inhibited_by(_alert_labels(alert, township="dayu"), _alert_labels(victim, township="dayu"))


def test_the_labels_an_inhibition_compares_are_on_both_alerts() -> None:
    """An `equal` label missing from both alerts compares "" with "" and mutes too much."""
    names = sorted(ALERTS)
    for rule in load(ALERTMANAGER_YML)["inhibit_rules"]:
        for side in ("source_matchers", "target_matchers"):
            chosen = [a for a in names if all(matches(m, {"alertname": a}) for m in rule[side] if "alertname" in m)]
            assert chosen, f"{side} {rule[side]} matches no alert of the catalogue"
            for alert in chosen:
                carried = set(SCOPE_LABELS[alert]) | {"team", "severity"}
                assert set(rule["equal"]) <= carried, f"{alert} lacks {set(rule['equal']) - carried} ({side})"
