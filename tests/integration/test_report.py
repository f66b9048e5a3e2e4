"""The monitoring report of a small store, on SQLite and PostgreSQL: every section, its figures
equal to a replay of the same store, its record line checkable with `tuoyu verify --checkpoint`."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from tests.integration.audit_helpers import Tables, run
from tests.integration.builders import (
    CST, closed, enrolled, filed, guidance, inspection, open_app, record, staff, target, training,
)
from tests.support.report import read_report
from tuoyu.domain.catalogue import TOWNSHIPS
from tuoyu.report.basis import RecordAltered
from tuoyu.report.labels import STATUS_ZH, kpi_zh
from tuoyu.report.make import make_report
from tuoyu.report.numbers import count, kpi_value, percent
from tuoyu.service.config import Settings
from tuoyu.service.timeargs import parse_moment
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

K0 = datetime(2025, 1, 10, 9, 0, tzinfo=CST)
K1 = datetime(2025, 1, 20, 9, 0, tzinfo=CST)
AS_OF = parse_moment("2025-01-10", "as_of")
SECTIONS = ["一、总体情况", "二、目标任务进展", "三、各镇街情况", "四、安全与应急处置", "五、综合监管",
            "六、队伍建设与家庭养育指导", "七、数据来源与核验"]


def recorded_at(settings: Settings, moment: datetime, *events) -> None:
    app = open_app(settings, now=moment)
    try:
        record(app, *events)
    finally:
        app.close()


@pytest.fixture
def small(store_settings: Settings) -> Settings:
    """Targets, three institutions (one closed in an emergency with children awaiting a place, one
    with an open rectification), staff, training and guidance, recorded on 10 January 2025; then on
    20 January a late filing of 2024."""
    recorded_at(store_settings, K0,
                target("district", "slots_total", 100, start="2024-01-01", due="2024-12-31"),
                target("district", "new_slots", 50, start="2024-01-01", due="2025-12-31"),
                target("district", "township_min_slots", 20, start="2024-01-01", due="2025-12-31"),
                filed("A1", slots=30, inclusive=True, occurred_at="2024-03-01T09:00:00+08:00"),
                filed("A2", slots=15, township="longquan", occurred_at="2024-04-01T09:00:00+08:00"),
                filed("A3", slots=10, occurred_at="2024-05-01T09:00:00+08:00"),
                enrolled("A1", 10), enrolled("A3", 5), staff("A1", 4, 3), training("caregiver", 12),
                guidance(40), inspection("A2", "INS-1", occurred_at="2024-11-20T09:00:00+08:00",
                                         rectify_by="2024-12-20"),
                closed("A3", occurred_at="2025-01-08T09:00:00+08:00"))
    recorded_at(store_settings, K1, filed("A4", slots=25, township="longquan",
                                          occurred_at="2024-12-01T09:00:00+08:00"))
    return store_settings


def report_of(settings: Settings, as_of: datetime = AS_OF, known_at: datetime | None = None,
              fmt: str = "html") -> bytes:
    app = open_app(settings)
    try:
        return make_report(app.recorder, as_of, known_at, fmt)
    finally:
        app.close()


def replayed(settings: Settings, as_of: datetime = AS_OF, known_at: datetime | None = None) -> dict:
    app = open_app(settings)
    try:
        return replay_snapshot(read_facts(app.recorder), as_of, as_of, known_at)
    finally:
        app.close()


def test_the_report_has_its_title_sender_date_and_the_seven_sections_in_order(small):
    report = read_report(report_of(small))
    assert report.title == "门头沟区托育服务工作监测报告"
    assert report.meta["报送单位"] == "门头沟区卫生健康委员会" and report.meta["报送对象"] == "门头沟区人民政府"
    assert report.meta["数据截至"] == "2025年1月10日" and report.meta["报告期"] == "2025年1月1日至2025年1月10日"
    assert report.sections == SECTIONS
    assert report.figures == ["全区托位总数变化及目标", "全区普惠托位变化及目标"] and report.svgs == 2


def test_the_township_table_shows_each_township_and_the_district_as_a_replay_computes_them(small):
    snapshot = replayed(small)
    report = read_report(report_of(small))
    table = "各镇街托育服务情况"
    assert [row[0] for row in report.table(table)] == [t.name_zh for t in TOWNSHIPS] + ["全区"]
    for name, figures in [*((t.name_zh, snapshot["townships"][t.id]) for t in TOWNSHIPS),
                          ("全区", snapshot["district"])]:
        row = report.row(table, name)
        assert (row["机构"], row["托位"], row["普惠托位"], row["普惠占比"], row["在托"], row["使用率"]) == (
            count(figures["institutions_operating"]), count(figures["slots_total"]),
            count(figures["slots_inclusive"]), percent(figures["inclusive_share"]), count(figures["enrolled"]),
            percent(figures["occupancy"])), name
        assert row["待整改(逾期)"] == f"{figures['rectifications_open']}({figures['rectifications_overdue']})"
    # The late filing of A4 (recorded 20 January) counts: no known-at was given.
    assert report.row(table, "龙泉镇")["托位"] == "40"


def test_the_targets_table_shows_each_target_as_the_replay_judges_it_with_the_floor_as_one_row(small):
    snapshot = replayed(small)
    report = read_report(report_of(small))
    rows = {row["目标"]: row for row in (dict(zip(report.heads["目标任务进展情况"], r))
                                         for r in report.table("目标任务进展情况"))}
    for target in snapshot["targets"]:
        if target["kpi"] == "township_min_slots":
            continue
        row = rows[f"全区 · {kpi_zh(target['kpi'])}"]
        assert (row["目标值"], row["基线"], row["当前值"], row["应达值"], row["状态"]) == (
            kpi_value(target["kpi"], target["value"]), kpi_value(target["kpi"], target["baseline"]),
            kpi_value(target["kpi"], target["actual"]), kpi_value(target["kpi"], target["expected"]),
            STATUS_ZH[target["status"]])
    floors = [t for t in snapshot["targets"] if t["kpi"] == "township_min_slots"]
    reached = sum(1 for t in floors if t["actual"] >= t["value"])
    assert rows["各镇街 · 镇街托位下限"]["当前值"] == f"{reached}/13个达到"
    assert len(rows) == len(snapshot["targets"]) - len(floors) + 1


def test_the_overview_names_the_district_figures_and_what_needs_attention(small):
    district = replayed(small)["district"]
    report = read_report(report_of(small))
    assert report.facts["托位总数"] == f"{count(district['slots_total'])}个"
    assert report.facts["普惠托位占比"] == percent(district["inclusive_share"])
    assert report.facts["待安置幼儿"] == f"{district['children_awaiting_rehoming']}人"
    assert f"全区共有运营中的托育机构{district['institutions_operating']}家" in report.text()
    assert any("应急关停" in item and f"{district['children_awaiting_rehoming']}名幼儿待安置" in item
               for item in report.items)
    assert any("超过整改期限" in item for item in report.items)


def test_closures_and_rectifications_of_the_period_and_those_still_open_are_listed(small):
    report = read_report(report_of(small))
    closures = report.table("报告期内及尚未处置完毕的机构关停")
    assert [(r[0], r[2], r[3], r[6], r[7]) for r in closures] == [("托育点 A3", "2025.1.8", "应急", "5", "待安置")]
    # Inspected in 2024 (before the period), still open on 10 January 2025 and overdue since 20 December.
    cases = report.table("报告期内及尚未完成的检查整改")
    assert [(r[0], r[3], r[5], r[6]) for r in cases] == [("托育点 A2", "2024.11.20", "2024.12.20", "逾期未完成")]


def test_a_known_at_leaves_out_what_was_recorded_later_and_the_record_line_says_where_it_stopped(small):
    early = read_report(report_of(small, known_at=K0))
    snapshot = replayed(small, known_at=K0)
    assert early.row("各镇街托育服务情况", "龙泉镇")["托位"] == count(snapshot["townships"]["longquan"]["slots_total"])
    assert early.meta["记录截至"] == "2025年1月10日 09:00"
    assert early.facts["存储位置"] == str(snapshot["position"])
    assert read_report(report_of(small)).facts["存储位置"] == str(replayed(small)["position"])
    assert snapshot["position"] < replayed(small)["position"]


def test_the_checkpoint_in_the_report_verifies_the_record_with_tuoyu_verify(small, store_env, monkeypatch, capsys,
                                                                          tmp_path):
    report = read_report(report_of(small, known_at=K0))
    checkpoint = orjson.loads(next(block for block in report.code if block.startswith("{")))
    assert checkpoint["position"] == replayed(small, known_at=K0)["position"]
    assert report.code[0] == checkpoint["link"]
    saved = tmp_path / "checkpoint.json"
    saved.write_bytes(orjson.dumps(checkpoint))
    code, out, err = run(store_env, monkeypatch, capsys, "verify", "--checkpoint", str(saved))
    assert code == 0 and "与检查点一致" in out, (out, err)


def test_a_report_is_refused_when_the_record_it_reads_was_altered(small):
    tables = Tables(small)
    state = orjson.loads(tables.state(4))
    state["event"]["slots"] = 15 if state["event"]["slots"] != 15 else 16
    tables.set_state(4, orjson.dumps(state))
    with pytest.raises(RecordAltered, match="position 4"):
        report_of(small)


def test_the_same_as_of_and_known_at_give_the_same_html_and_the_known_at_changes_it(small):
    assert report_of(small, known_at=K1) == report_of(small, known_at=K1)
    assert report_of(small, known_at=K0) != report_of(small, known_at=K1)
