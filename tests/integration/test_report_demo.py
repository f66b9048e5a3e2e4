"""The report of the demo district as of 2024-12-31: figures from a replay of the same store,
the same bytes from separate processes at different times, and a PDF whose Chinese text is
embedded in Chinese fonts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.demo import DEMO_NOW, DEMO_TODAY
from tests.support.report import read_report
from tuoyu import clock
from tuoyu.domain.catalogue import TOWNSHIPS
from tuoyu.report.labels import OUTCOME_ZH, STATUS_ZH, kpi_zh, units_zh
from tuoyu.report.make import make_report
from tuoyu.report.numbers import count, kpi_value, percent
from tuoyu.service.config import Settings
from tuoyu.service.timeargs import parse_moment
from tuoyu.service.wiring import open_registry
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

AS_OF = "2024-12-31"
KNOWN_AT = "2025-01-15T12:00:00+08:00"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from tuoyu.demo.loading import record_demo

    data = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=data, store=f"sqlite:///{data / 'tuoyu.db'}")
    with clock.set_to(DEMO_NOW), closing(open_registry(settings)) as registry:
        record_demo(registry, today=DEMO_TODAY)
    yield settings


def made(settings: Settings, fmt: str = "html", known_at: str | None = KNOWN_AT, as_of: str = AS_OF) -> bytes:
    with closing(open_registry(settings)) as registry:
        return make_report(
            registry.recorder,
            parse_moment(as_of, "as_of"),
            parse_moment(known_at, "known_at") if known_at else None,
            fmt,
        )


def replayed(settings: Settings, known_at: str | None = KNOWN_AT, as_of_text: str = AS_OF) -> dict:
    as_of = parse_moment(as_of_text, "as_of")
    with closing(open_registry(settings)) as registry:
        return replay_snapshot(
            read_facts(registry.recorder), as_of, as_of, parse_moment(known_at, "known_at") if known_at else None
        )


def made_elsewhere(settings: Settings, out: Path, now: str, hash_seed: str, tz: str) -> bytes:
    """`tuoyu report` in a process of its own, with its own clock, hash seed and time zone."""
    env = {
        **os.environ,
        "TUOYU_STORE": settings.store,
        "TUOYU_DATA_DIR": str(settings.data_dir),
        "TUOYU_NOW": now,
        "PYTHONHASHSEED": hash_seed,
        "TZ": tz,
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tuoyu.service.cli",
            "report",
            "--as-of",
            AS_OF,
            "--known-at",
            KNOWN_AT,
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_the_demo_report_shows_the_figures_and_targets_of_a_replay_as_of_the_end_of_2024(demo):
    snapshot = replayed(demo)
    report = read_report(made(demo))
    assert report.meta["数据截至"] == "2024年12月31日" and report.meta["记录截至"] == "2025年1月15日 12:00"
    district = snapshot["district"]
    assert report.facts["托位总数"] == f"{count(district['slots_total'])}个"
    assert report.facts["普惠托位占比"] == percent(district["inclusive_share"])
    for township in TOWNSHIPS:
        row = report.row("各镇街托育服务情况", township.name_zh)
        assert row["托位"] == count(snapshot["townships"][township.id]["slots_total"]), township.id
    heads = report.heads["目标任务进展情况"]
    rows = {r[1]: dict(zip(heads, r, strict=True)) for r in report.table("目标任务进展情况")}
    for target in (t for t in snapshot["targets"] if t["scope"] == "district" and t["kpi"] != "township_min_slots"):
        row = rows[f"全区 · {kpi_zh(target['kpi'])}"]
        assert (row["当前值"], row["状态"], row["责任单位"]) == (
            kpi_value(target["kpi"], target["actual"]),
            STATUS_ZH[target["status"]],
            units_zh(target["responsible"]),
        ), target["kpi"]
        assert row["到期情况"] == ("当日到期" if target["due"] == AS_OF else "未到期"), target["kpi"]
    assert report.facts["存储位置"] == str(snapshot["position"])


def test_in_mid_2025_the_demo_report_judges_the_2024_targets_on_2024_figures(demo):
    as_of = "2025-06-30"
    snapshot = replayed(demo, known_at=None, as_of_text=as_of)
    report = read_report(made(demo, known_at=None, as_of=as_of))
    heads = report.heads["目标任务进展情况"]
    rows = {r[1]: dict(zip(heads, r, strict=True)) for r in report.table("目标任务进展情况")}
    judged = [t for t in snapshot["targets"] if t["scope"] == "district" and t["due"] == "2024-12-31"]
    assert {t["kpi"] for t in judged} >= {
        "slots_total",
        "new_slots",
        "inclusive_share",
        "kindergarten_new_inclusive_slots",
    }
    for target in judged:
        row = rows[f"全区 · {kpi_zh(target['kpi'])}"]
        assert row["到期情况"] == (
            f"{kpi_value(target['kpi'], target['actual_at_due'])}，{OUTCOME_ZH[target['outcome']]}"
        ), target["kpi"]


def test_the_demo_report_is_self_contained_without_script_or_outside_resources(demo):
    html = made(demo).decode("utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import""", html, re.IGNORECASE)
    assert html.count("<svg") == 2


@pytest.mark.slow
def test_the_same_as_of_and_known_at_give_the_same_html_from_other_processes_at_other_times(demo, tmp_path):
    first = made_elsewhere(demo, tmp_path / "a.html", "2027-03-01T10:00:00+08:00", "1", "UTC")
    second = made_elsewhere(demo, tmp_path / "b.html", "2031-07-15T23:30:00+08:00", "2", "America/New_York")
    assert first == second == made(demo)


@pytest.mark.slow
def test_the_same_as_of_and_known_at_give_the_same_pdf_from_other_processes_at_other_times(demo, tmp_path):
    first = made_elsewhere(demo, tmp_path / "a.pdf", "2027-03-01T10:00:00+08:00", "3", "UTC")
    second = made_elsewhere(demo, tmp_path / "b.pdf", "2031-07-15T23:30:00+08:00", "4", "Asia/Tokyo")
    assert first.startswith(b"%PDF-") and first == second
    assert b"/CreationDate" not in first and b"/ModDate" not in first


@pytest.mark.slow
def test_the_demo_pdf_embeds_chinese_fonts_and_its_text_reads_back_in_chinese(demo, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(made(demo, "pdf"))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    embedded = [line.split()[0] for line in fonts.splitlines()[2:] if " yes " in line]
    assert any("Noto-Serif-CJK-SC" in name for name in embedded), fonts
    assert any("Noto-Sans-CJK-SC" in name for name in embedded), fonts
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for words in (
        "门头沟区托育服务工作监测报告",
        "报送单位",
        "门头沟区卫生健康委员会",
        "二、目标任务进展",
        "七、数据来源与核验",
        "tuoyu verify --checkpoint",
    ):
        assert words in text, words
    pages = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        ).group(1)
    )
    assert 3 <= pages <= 12
