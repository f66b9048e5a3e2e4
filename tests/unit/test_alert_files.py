"""The alerting files: rendered from the tunables, valid, tested with promtool and amtool,
and complete against kpis.md (every alert, its labels, annotations and runbook section).

promtool and amtool are Debian's (packages prometheus, prometheus-alertmanager); `make test`
installs them. A missing tool fails these tests: alerting that was never checked must not
pass as green.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tuoyu.alerts.catalogue import ALERTS, KPI_ALERTS, RULE_FILES
from tuoyu.alerts.files import load_tunables, rendered_files

PROJECT = Path(__file__).resolve().parents[2]
ALERTS_DIR = PROJECT / "alerts"
RULES_DIR = ALERTS_DIR / "rules"
TESTS_DIR = ALERTS_DIR / "tests"
ALERTMANAGER_YML = ALERTS_DIR / "alertmanager.yml"
TUNABLES = load_tunables(ALERTS_DIR / "tunables.yaml")
RUNBOOK = PROJECT / "docs" / "runbook.md"
METRICS_SOURCE = PROJECT / "tuoyu" / "metrics" / "collectors.py"
RERENDER = ("re-render them with `.venv/bin/tuoyu alerts render`, or .venv/bin/python -c \"from pathlib import Path; "
            "from tuoyu.alerts.files import load_tunables, write_files; "
            "write_files(load_tunables(Path('alerts/tunables.yaml')), Path('alerts'))\"")
PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}

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
    "KpiMetricsAbsent": (),
}
CRITICAL_GROUP_BY = ["alertname", "township", "scope", "kpi"]
DIGEST_GROUP_BY = ["alertname"]
TEAM = {"team": "health-commission"}

# `amtool config routes test` cases: the labels an alert arrives with -> receiver and grouping.
# Critical alerts page the commission's on-call officer at once, one notification per alert
# and place; warnings (and info) go to the working-hours digest, one per alert name.
ROUTE_CASES = [
    ({"alertname": "EmergencyClosureOpen", "severity": "critical", "township": "dayu", **TEAM},
     "oncall", CRITICAL_GROUP_BY),
    ({"alertname": "ChildrenAwaitingRehomingTooLong", "severity": "critical", "township": "qingshui", **TEAM},
     "oncall", CRITICAL_GROUP_BY),
    ({"alertname": "TargetMissed", "severity": "critical", "scope": "district", "kpi": "slots_total", **TEAM},
     "oncall", CRITICAL_GROUP_BY),
    ({"alertname": "KpiMetricsAbsent", "severity": "critical", **TEAM}, "oncall", CRITICAL_GROUP_BY),
    ({"alertname": "RectificationOverdue", "severity": "warning", "township": "yanchi", **TEAM},
     "oncall-digest", DIGEST_GROUP_BY),
    ({"alertname": "TownshipBelowSlotFloor", "severity": "warning", "township": "qingshui", "scope": "qingshui",
      "kpi": "township_min_slots", **TEAM}, "oncall-digest", DIGEST_GROUP_BY),
    ({"alertname": "InclusiveShareBelowTarget", "severity": "warning", "scope": "district",
      "kpi": "inclusive_share", **TEAM}, "oncall-digest", DIGEST_GROUP_BY),
    ({"alertname": "TargetBehindPace", "severity": "warning", "scope": "district", "kpi": "new_slots", **TEAM},
     "oncall-digest", DIGEST_GROUP_BY),
    ({"alertname": "CaregiverCertificationBelowTarget", "severity": "warning", "scope": "district",
      "kpi": "certified_share", **TEAM}, "oncall-digest", DIGEST_GROUP_BY),
    ({"alertname": "ProjectionLagging", "severity": "warning", "view": "kpi.v3", **TEAM},
     "oncall-digest", DIGEST_GROUP_BY),
    # Not in the catalogue, but must not be lost: info joins the digest, no severity pages.
    ({"alertname": "SomeFutureNotice", "severity": "info", **TEAM}, "oncall-digest", DIGEST_GROUP_BY),
    ({"alertname": "SomethingUnlabelled"}, "oncall", CRITICAL_GROUP_BY),
]

CHINESE = re.compile(r"[\u4e00-\u9fff]")
RECORDING_NAME = re.compile(r"^(district|township|target|view):childcare_[a-z0-9_]+:[a-z][a-z0-9_]*$")
MATCHER = re.compile(r'^(\w+)(=~|!~|!=|=)"(.*)"$')


# --- helpers ----------------------------------------------------------------------------------

def tool(name: str) -> str:
    found = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(found).is_file():
        pytest.fail(f"{name} is not installed (Debian package {PACKAGES[name]}): run `make test`, which "
                    f"installs it (scripts/ensure-tools.sh), or apt-get install {PACKAGES[name]} as root",
                    pytrace=False)
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


# --- (a) the committed files are what the tunables render -------------------------------------

def test_the_committed_alerting_files_are_what_the_tunables_render() -> None:
    rendered = rendered_files(TUNABLES)
    committed = {str(p.relative_to(ALERTS_DIR)) for p in RULES_DIR.glob("*.yml")} | {"alertmanager.yml"}
    assert committed == set(rendered), (
        f"alerts/ holds {sorted(committed)}, the tunables render {sorted(rendered)}: {RERENDER}")
    for relative, content in rendered.items():
        assert (ALERTS_DIR / relative).read_text(encoding="utf-8") == content, (
            f"alerts/{relative} is not what alerts/tunables.yaml renders (edit the tunables or "
            f"tuoyu/alerts, not the file); {RERENDER}")


# --- (b, d) promtool and amtool accept the files ----------------------------------------------

@pytest.mark.parametrize("name", RULE_FILES)
def test_promtool_checks_the_rule_file(name: str) -> None:
    result = run(tool("promtool"), "check", "rules", str(rule_file(name)))
    assert result.returncode == 0, f"promtool check rules {rule_file(name)}:\n{result.stdout}{result.stderr}"


def test_amtool_checks_the_alertmanager_config() -> None:
    result = run(tool("amtool"), "check-config", str(ALERTMANAGER_YML))
    assert result.returncode == 0, f"amtool check-config {ALERTMANAGER_YML}:\n{result.stdout}{result.stderr}"


# --- (c) promtool test rules, every test file -------------------------------------------------

@pytest.fixture(scope="module")
def promtool_runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """All the promtool test runs, started at once (each simulates hours of evaluation)."""
    promtool = tool("promtool")
    runs = {name: subprocess.Popen([promtool, "test", "rules", str(alert_test_file(name))], cwd=PROJECT,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for name in RULE_FILES if alert_test_file(name).is_file()}
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


# --- (g) a test file per rule file, testing all of it -----------------------------------------

@pytest.mark.parametrize("name", RULE_FILES)
def test_each_rule_file_has_a_test_file_reading_it_at_its_interval(name: str) -> None:
    assert sorted(p.name for p in RULES_DIR.glob("*.rules.yml")) == sorted(f"{n}.rules.yml" for n in RULE_FILES)
    assert alert_test_file(name).is_file(), (
        f"{rule_file(name).relative_to(PROJECT)} has no test file alerts/tests/{name}.test.yml")
    tests = load(alert_test_file(name))
    assert tests["rule_files"] == [f"../rules/{name}.rules.yml"]
    intervals = {group["interval"] for group in load(rule_file(name))["groups"]}
    assert intervals == {tests["evaluation_interval"]} == {TUNABLES["rules"]["evaluation_interval"]}


@pytest.mark.parametrize("name", RULE_FILES)
def test_each_test_file_covers_every_rule_of_its_file(name: str) -> None:
    groups = load(alert_test_file(name))["tests"]
    cases = [case for group in groups for case in group.get("alert_rule_test", [])]
    exprs = " ".join(case["expr"] for group in groups for case in group.get("promql_expr_test", []))
    for rule in rules_of(name):
        if "record" in rule:
            assert re.search(rf"(?<![\w:]){re.escape(rule['record'])}(?![\w:])", exprs), (
                f"{alert_test_file(name).name} has no promql_expr_test for the recording rule {rule['record']}")
            continue
        alert = rule["alert"]
        mine = [case for case in cases if case["alertname"] == alert]
        assert any(not case.get("exp_alerts") for case in mine), (
            f"{alert_test_file(name).name}: no case where {alert} is not (yet) firing")
        firing = [expected for case in mine for expected in case.get("exp_alerts") or []]
        assert firing, f"{alert_test_file(name).name}: no case where {alert} fires"
        for expected in firing:
            labels = expected.get("exp_labels", {})
            assert labels.get("severity") == ALERTS[alert][0] and labels.get("team") == TEAM["team"], (alert, labels)
            assert set(SCOPE_LABELS[alert]) <= set(labels), f"{alert} fires without {SCOPE_LABELS[alert]}: {labels}"
            assert {"summary", "description", "runbook_url"} <= set(expected.get("exp_annotations", {})), (
                f"{alert}: a firing case must state summary, description and runbook_url as rendered")


@pytest.mark.parametrize("name", RULE_FILES)
def test_test_inputs_are_the_exported_metrics_as_scraped(name: str) -> None:
    exported = set(re.findall(r'"(childcare_[a-z_]+)"', METRICS_SOURCE.read_text(encoding="utf-8")))
    for group in load(alert_test_file(name))["tests"]:
        for series in group.get("input_series", []):
            metric = series["series"].split("{")[0]
            assert metric in exported, f"{alert_test_file(name).name}: {metric} is not a metric the service exports"
            assert re.search(r'\bjob="[^"]+"', series["series"]) and re.search(r'\binstance="[^"]+"',
                                                                               series["series"]), (
                f"{alert_test_file(name).name}: give {series['series']} a job and an instance, as a scrape would")


def test_the_rules_read_only_metrics_the_service_exports() -> None:
    exported = set(re.findall(r'"(childcare_[a-z_]+)"', METRICS_SOURCE.read_text(encoding="utf-8")))
    for name in RULE_FILES:
        for rule in rules_of(name):
            used = set(re.findall(r"(?<![\w:])(childcare_[a-z_]+)(?![\w:])", rule["expr"]))
            assert used <= exported, f"{rule.get('alert') or rule['record']} reads {sorted(used - exported)}"


# --- (f) every alert of kpis.md, with its labels and annotations ------------------------------

def test_the_rules_hold_exactly_the_alerts_of_the_catalogue() -> None:
    assert sorted(all_alert_rules()) == sorted(ALERTS)


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_each_alert_has_its_severity_team_and_chinese_annotations(alert: str) -> None:
    found = all_alert_rules().get(alert)
    assert found, f"no rule raises {alert}"
    file, rule = found
    severity, group = ALERTS[alert]
    assert file == group, f"{alert} is in {file}.rules.yml, the catalogue puts it in {group}"
    assert rule["labels"] == {"severity": severity, "team": "health-commission"}
    assert severity in ("critical", "warning", "info")
    annotations = rule["annotations"]
    assert set(annotations) >= {"summary", "description", "runbook_url"}
    for key in ("summary", "description"):
        assert CHINESE.search(annotations[key]), f"{alert} {key} is not in Chinese: {annotations[key]!r}"
    assert annotations["runbook_url"] == f"{TUNABLES['runbook_base_url']}#{alert.lower()}"


# --- (h) a runbook section per alert ----------------------------------------------------------

def test_every_alert_has_a_runbook_section_at_its_runbook_url() -> None:
    assert RUNBOOK.is_file(), "docs/runbook.md is missing"
    headings = [line.lstrip("#").strip() for line in RUNBOOK.read_text(encoding="utf-8").splitlines()
                if re.match(r"^#{1,6} ", line)]
    anchors = {github_anchor(heading) for heading in headings}
    for alert, (_, rule) in all_alert_rules().items():
        fragment = rule["annotations"]["runbook_url"].split("#", 1)[1]
        assert fragment == alert.lower()
        assert alert in headings and fragment in anchors, (
            f"docs/runbook.md has no section `## {alert}` for the runbook_url #{fragment}")


def test_each_runbook_section_quotes_the_timing_its_rule_has() -> None:
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", RUNBOOK.read_text(encoding="utf-8"),
                               flags=re.MULTILINE | re.DOTALL))
    for alert, (_, rule) in all_alert_rules().items():
        for key in ("for", "keep_firing_for"):
            if key in rule:
                assert f"`{key}: {rule[key]}`" in sections.get(alert, ""), (
                    f"docs/runbook.md, {alert}: the rule has {key}: {rule[key]} (alerts/tunables.yaml); say so")


# --- (i) recording rule names -----------------------------------------------------------------

@pytest.mark.parametrize("name", RULE_FILES)
def test_recording_rules_are_named_level_metric_operation(name: str) -> None:
    for rule in rules_of(name):
        if "record" in rule:
            assert RECORDING_NAME.match(rule["record"]), f"{rule['record']} is not level:childcare_metric:operation"


# --- (e) Alertmanager routes and inhibitions --------------------------------------------------

def _route_tree() -> dict[str, Any]:
    return load(ALERTMANAGER_YML)["route"]


@pytest.mark.parametrize("labels, receiver, group_by", ROUTE_CASES,
                         ids=[case[0]["alertname"] for case in ROUTE_CASES])
def test_amtool_routes_each_alert_to_its_receiver_and_grouping(labels: dict[str, str], receiver: str,
                                                                group_by: list[str]) -> None:
    args = [f"{key}={value}" for key, value in labels.items()]
    result = run(tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER_YML}", "--tree",
                 f"--verify.receivers={receiver}", *args)
    assert result.returncode == 0, f"amtool routes {labels} elsewhere than {receiver}:\n{result.stdout}{result.stderr}"
    assert result.stdout.strip().splitlines()[-1] == receiver
    # The last line of the tree is the route that took the alert: read its grouping from the file.
    matched = [line for line in result.stdout.splitlines() if "receiver:" in line][-1]
    root = _route_tree()
    route = next((child for child in root.get("routes", [])
                  if "{" + ", ".join(child["matchers"]) + "}" in matched), root)
    assert route.get("group_by", root["group_by"]) == group_by, f"{labels} is grouped by {route.get('group_by')}"


def test_every_catalogued_alert_has_a_route_case() -> None:
    assert {labels["alertname"] for labels, _, _ in ROUTE_CASES} >= set(ALERTS)
    for labels, _, _ in ROUTE_CASES:
        if labels["alertname"] in ALERTS:
            assert labels["severity"] == ALERTS[labels["alertname"]][0]


def test_routes_page_critical_at_once_and_send_warnings_as_a_working_hours_digest() -> None:
    config, tunable = load(ALERTMANAGER_YML), TUNABLES["alertmanager"]
    critical, digest = config["route"]["routes"]
    assert (critical["group_wait"], critical["repeat_interval"]) == (tunable["critical_group_wait"],
                                                                     tunable["critical_repeat_interval"])
    assert "active_time_intervals" not in critical, "critical alerts must page at any hour"
    assert digest["active_time_intervals"] == ["working-hours"]
    assert (digest["group_wait"], digest["group_interval"], digest["repeat_interval"]) == (
        tunable["warning_group_wait"], tunable["warning_group_interval"], tunable["warning_repeat_interval"])
    working_hours = {interval["name"]: interval for interval in config["time_intervals"]}["working-hours"]
    assert working_hours["time_intervals"][0]["location"] == "Asia/Shanghai"
    assert {receiver["name"] for receiver in config["receivers"]} == {"oncall", "oncall-digest"}
    for receiver in config["receivers"]:
        assert all(hook["send_resolved"] for hook in receiver["webhook_configs"])


def _inhibited_by(source: dict[str, str], target: dict[str, str]) -> bool:
    """Whether Alertmanager would mute `target` while `source` fires (per the rendered rules)."""
    for rule in load(ALERTMANAGER_YML)["inhibit_rules"]:
        if (all(matches(m, source) for m in rule["source_matchers"])
                and all(matches(m, target) for m in rule["target_matchers"])
                and all(source.get(label, "") == target.get(label, "") for label in rule.get("equal", []))):
            return True
    return False


def _alert_labels(alert: str, **scope: str) -> dict[str, str]:
    return {"alertname": alert, "severity": ALERTS[alert][0], **TEAM, **scope}


def test_absent_metrics_mute_every_kpi_alert_but_not_the_pipeline_alerts() -> None:
    absent = _alert_labels("KpiMetricsAbsent")
    for alert in KPI_ALERTS:
        assert _inhibited_by(absent, _alert_labels(alert, township="dayu", scope="district", kpi="slots_total")), alert
    assert not _inhibited_by(absent, _alert_labels("ProjectionLagging", view="kpi.v3"))
    assert not _inhibited_by(absent, absent)


def test_a_missed_target_mutes_its_behind_pace_alert_only() -> None:
    behind = _alert_labels("TargetBehindPace", scope="district", kpi="slots_total")
    assert _inhibited_by(_alert_labels("TargetMissed", scope="district", kpi="slots_total"), behind)
    assert not _inhibited_by(_alert_labels("TargetMissed", scope="district", kpi="new_slots"), behind)
    for alert, kpi, scope in (("TownshipBelowSlotFloor", "township_min_slots", "qingshui"),
                              ("InclusiveShareBelowTarget", "inclusive_share", "district"),
                              ("CaregiverCertificationBelowTarget", "certified_share", "district")):
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
            chosen = [a for a in names if all(matches(m, {"alertname": a}) for m in rule[side])]
            assert chosen, f"{side} {rule[side]} matches no alert of the catalogue"
            for alert in chosen:
                carried = set(SCOPE_LABELS[alert]) | {"team", "severity"}
                assert set(rule["equal"]) <= carried, f"{alert} lacks {set(rule['equal']) - carried} ({side})"
