"""The monitoring report of a small store, on SQLite and PostgreSQL: every section, its figures
equal to a replay of the same store, its record line checkable with `tuoyu verify --checkpoint`."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from tests.integration.audit_helpers import Tables, run
from tests.support.builders import (
    CST,
    closed,
    enrolled,
    fee_cap,
    filed,
    graded,
    guidance,
    incident,
    inspection,
    open_app,
    population,
    record,
    staff,
    target,
    training,
)
from tests.support.report import read_report
from tuoyu.domain.catalogue import TOWNSHIPS
from tuoyu.report.basis import RecordAltered
from tuoyu.report.labels import CREDIT_ZH, OUTCOME_ZH, QUALITY_DIMENSIONS_ZH, RISK_ZH, STATUS_ZH, kpi_zh, units_zh
from tuoyu.report.make import make_report
from tuoyu.report.numbers import count, decimal, kpi_value, money, percent
from tuoyu.service.config import Settings
from tuoyu.service.timeargs import parse_moment
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

K0 = datetime(2025, 1, 10, 9, 0, tzinfo=CST)
K1 = datetime(2025, 1, 20, 9, 0, tzinfo=CST)
AS_OF = parse_moment("2025-01-10", "as_of")
SECTIONS = [
    "一、总体情况",
    "二、目标任务进展",
    "三、各镇街情况",
    "四、安全与应急处置",
    "五、综合监管",
    "六、队伍建设与家庭养育指导",
    "七、数据来源与核验",
]


def recorded_at(settings: Settings, moment: datetime, *events) -> None:
    app = open_app(settings, now=moment)
    try:
        record(app, *events)
    finally:
        app.close()


@pytest.fixture
def small(store_settings: Settings) -> Settings:
    """Targets, three institutions (one closed in an emergency with children awaiting a place, one
    with an open rectification, one with a serious incident and a fee above the cap), grades, a
    quality assessment, staff, training, guidance and population, recorded on 10 January 2025; then
    on 20 January a late filing of 2024."""
    recorded_at(
        store_settings,
        K0,
        target(
            "district",
            "slots_total",
            100,
            start="2024-01-01",
            due="2024-12-31",
            responsible=["health_commission", "education_commission"],
        ),
        target("district", "new_slots", 50, start="2024-01-01", due="2025-12-31"),
        target("district", "township_min_slots", 20, start="2024-01-01", due="2025-12-31"),
        target("district", "slots_per_1000", 4.5, start="2024-01-01", due="2025-12-31"),
        population("district", 2024, 20_000),
        fee_cap(1500, start="2024-01-01"),
        filed("A1", slots=30, inclusive=True, monthly_fee_yuan=1800, occurred_at="2024-03-01T09:00:00+08:00"),
        filed("A2", slots=15, township="longquan", occurred_at="2024-04-01T09:00:00+08:00"),
        filed("A3", slots=10, occurred_at="2024-05-01T09:00:00+08:00"),
        enrolled("A1", 10),
        enrolled("A3", 5),
        staff("A1", 4, 3),
        training("caregiver", 12),
        guidance(40),
        inspection("A2", "INS-1", occurred_at="2024-11-20T09:00:00+08:00", rectify_by="2024-12-20"),
        closed("A3", occurred_at="2025-01-08T09:00:00+08:00"),
        graded("A2", risk="high", credit="C"),
        inspection(
            "A1",
            "QA-1",
            outcome="pass",
            kind="quality_assessment",
            scores={"management": 80, "safety": 92.5},
            occurred_at="2024-12-01T09:00:00+08:00",
        ),
        incident("A1", "INC-1", occurred_at="2025-01-05T09:00:00+08:00", children_affected=3),
        guidance(25, format="online", occurred_at="2025-01-06T09:00:00+08:00"),
    )
    recorded_at(store_settings, K1, filed("A4", slots=25, township="longquan", occurred_at="2024-12-01T09:00:00+08:00"))
    return store_settings


def report_of(
    settings: Settings, as_of: datetime = AS_OF, known_at: datetime | None = None, fmt: str = "html"
) -> bytes:
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
    for name, figures in [
        *((t.name_zh, snapshot["townships"][t.id]) for t in TOWNSHIPS),
        ("全区", snapshot["district"]),
    ]:
        row = report.row(table, name)
        assert (row["机构"], row["托位"], row["普惠托位"], row["普惠占比"], row["在托"], row["使用率"]) == (
            count(figures["institutions_operating"]),
            count(figures["slots_total"]),
            count(figures["slots_inclusive"]),
            percent(figures["inclusive_share"]),
            count(figures["enrolled"]),
            percent(figures["occupancy"]),
        ), name
        assert row["待整改(逾期)"] == f"{figures['rectifications_open']}({figures['rectifications_overdue']})"
    # The late filing of A4 (recorded 20 January) counts: no known-at was given.
    assert report.row(table, "龙泉镇")["托位"] == "40"


def test_the_targets_table_shows_each_target_as_the_replay_judges_it_with_the_floor_as_one_row(small):
    snapshot = replayed(small)
    report = read_report(report_of(small))
    heads = report.heads["目标任务进展情况"]
    rows = {row["目标"]: row for row in (dict(zip(heads, r, strict=True)) for r in report.table("目标任务进展情况"))}
    for judged in snapshot["targets"]:
        if judged["kpi"] == "township_min_slots":
            continue
        row = rows[f"全区 · {kpi_zh(judged['kpi'])}"]
        assert (row["目标值"], row["基线"], row["当前值"], row["应达值"], row["状态"]) == (
            kpi_value(judged["kpi"], judged["value"]),
            kpi_value(judged["kpi"], judged["baseline"]),
            kpi_value(judged["kpi"], judged["actual"]),
            kpi_value(judged["kpi"], judged["expected"]),
            STATUS_ZH[judged["status"]],
        )
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
    assert any(
        "应急关停" in item and f"{district['children_awaiting_rehoming']}名幼儿待安置" in item for item in report.items
    )
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


def test_the_checkpoint_in_the_report_verifies_the_record_with_tuoyu_verify(
    small, store_env, monkeypatch, capsys, tmp_path
):
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
    state = orjson.loads(tables.state(1))  # the first target: 100 slots by the end of 2024
    state["event"]["value"] = 90
    tables.set_state(1, orjson.dumps(state))
    with pytest.raises(RecordAltered, match="position 1"):
        report_of(small)


def test_the_same_as_of_and_known_at_give_the_same_html_and_the_known_at_changes_it(small):
    assert report_of(small, known_at=K1) == report_of(small, known_at=K1)
    assert report_of(small, known_at=K0) != report_of(small, known_at=K1)


def test_a_past_target_shows_its_figure_and_outcome_at_due_and_its_responsible_units(small):
    target = next(t for t in replayed(small)["targets"] if t["kpi"] == "slots_total")
    assert target["outcome"] is not None  # due 2024-12-31, judged on 10 January 2025
    row = read_report(report_of(small)).row("目标任务进展情况", "1")
    assert row["到期情况"] == f"{kpi_value('slots_total', target['actual_at_due'])}，{OUTCOME_ZH[target['outcome']]}"
    assert row["责任单位"] == units_zh(target["responsible"]) == "区卫生健康委、区教委"


def test_supervision_shows_the_grades_coverage_scores_and_fees_of_the_replay(small):
    district = replayed(small)["district"]
    report = read_report(report_of(small))
    risk = report.row("运营机构风险等级分布", "风险等级")
    assert {RISK_ZH[k]: count(v) for k, v in district["institutions_by_risk"].items()} == {
        k: v for k, v in risk.items() if k in RISK_ZH.values()
    }
    assert risk["高风险"] == "1"
    credit = report.row("运营机构信用等级分布", "信用等级")
    assert {CREDIT_ZH[k]: count(v) for k, v in district["institutions_by_credit"].items()} == {
        k: v for k, v in credit.items() if k in CREDIT_ZH.values()
    }
    assert credit["C级"] == "1"
    scores = {row[0]: row[1] for row in report.table("质量评估各维度平均得分")}
    assert scores == {QUALITY_DIMENSIONS_ZH[k]: decimal(v, 1) for k, v in district["quality_scores"].items()}
    assert scores["安全保障"] == "92.5"
    assert report.facts["本年度检查覆盖率"] == percent(district["inspected_share"])
    assert report.facts["现行普惠收费上限(月)"] == "1500元"
    assert report.facts["普惠机构月收费均值"] == money(district["inclusive_fee_mean"])
    assert report.facts["收费高于上限的普惠机构"] == f"{district['inclusive_over_cap']}家" == "1家"


def test_incidents_of_the_period_are_listed_and_an_open_serious_one_needs_attention(small):
    district = replayed(small)["district"]
    report = read_report(report_of(small))
    rows = report.table("报告期内及尚未处置完毕的安全事件")
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("托育点 A1", "食品安全", "较大", "2025.1.5", "3", "处置中")
    ]
    assert district["incidents_open_serious"] == 1
    assert any("较大及以上安全事件" in item for item in report.items)
    assert report.facts["未结安全事件"] == f"{district['incidents_open']}起"


def test_population_gives_slots_per_1000_in_the_overview_and_the_township_table(small):
    district = replayed(small)["district"]
    report = read_report(report_of(small))
    assert report.facts["每千人口托位数"] == decimal(district["slots_per_1000"])
    assert report.row("各镇街托育服务情况", "全区")["千人托位"] == decimal(district["slots_per_1000"])
    assert report.row("各镇街托育服务情况", "大峪街道")["千人托位"] == "—"  # no township population reported
    assert f"全区常住人口{district['population']}人" in report.text()


def test_training_and_guidance_show_the_replayed_figures(small):
    district = replayed(small)["district"]
    report = read_report(report_of(small))
    assert report.facts["保育人员培训(累计)"] == f"{district['caregivers_trained']}人次"
    assert report.facts["本年度线上活动"] == f"{district['guidance_online_year']}场" == "1场"
    assert report.facts["本年度参与"] == f"{district['guidance_participants_year']}人次"


def test_a_report_of_an_empty_store_shows_zeros_and_says_it_has_no_checkpoint(store_settings):
    report = read_report(report_of(store_settings))
    assert report.sections == SECTIONS and report.facts["托位总数"] == "0个"
    assert any("尚无已记录的事件" in p for p in report.paragraphs) and "存储位置" not in report.facts
