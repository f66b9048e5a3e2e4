"""Writing the report: the template numbers and escapes what it is given; the PDF fetches nothing,
and refuses to show a character no installed font has (contract test against the pinned WeasyPrint)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.report import read_report
from tuoyu.clock import SHANGHAI
from tuoyu.report.model import Code, Facts, Figure, Heading, Items, Paragraph, Report, Section, Table, cells
from tuoyu.report.numbers import kpi_value, moment, short_day
from tuoyu.report.render import MissingGlyphs, OutsideResource, render_html, render_pdf
from tuoyu.service.http.report import prefers_pdf


def a_report() -> Report:
    report = Report(
        "门头沟区托育服务工作监测报告",
        "门头沟区卫生健康委员会",
        "门头沟区人民政府",
        "2024年12月31日",
        None,
        "2024年1月1日至2024年12月31日",
    )
    report.sections = [
        Section(
            "总体情况",
            [Paragraph("托位<1057>个 & 更多"), Heading("需关注事项"), Items(["一项"]), Facts([("托位总数", "1057个")])],
        ),
        Section(
            "目标任务进展",
            [
                Table("目标", ["目标", "状态"], [cells("托位总数", "已达成")]),
                Figure("托位", '<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
                Heading("其他"),
                Table("镇街", ["镇街"], [cells("大峪街道")]),
            ],
        ),
        Section("数据来源与核验", [Code('{"position": 1}')]),
    ]
    return report.numbered()


def test_sections_headings_tables_and_figures_are_numbered_in_order():
    read = read_report(render_html(a_report()))
    assert read.sections == ["一、总体情况", "二、目标任务进展", "三、数据来源与核验"]
    assert read.headings == ["（一）需关注事项", "（一）其他"]
    assert list(read.tables) == ["目标", "镇街"] and read.figures == ["托位"]
    assert read.facts == {"托位总数": "1057个"} and read.code == ['{"position": 1}']


def test_text_is_escaped_and_only_the_charts_are_written_as_markup():
    html = render_html(a_report()).decode()
    assert "托位&lt;1057&gt;个 &amp; 更多" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"></svg>' in html


def test_the_same_content_gives_the_same_html():
    assert render_html(a_report()) == render_html(a_report())


@pytest.mark.slow
def test_a_character_no_installed_font_has_is_refused_rather_than_drawn_as_a_box():
    plane_16 = "\U0010fffd"  # private use: no font has it
    with pytest.raises(MissingGlyphs, match="fonts-noto-cjk"):
        render_pdf(f'<html lang="zh-CN"><body><p>托位{plane_16}</p></body></html>'.encode())


@pytest.mark.slow
def test_the_pdf_of_chinese_text_needs_no_missing_glyph_and_is_the_same_bytes_twice():
    html = render_html(a_report())
    first = render_pdf(html)
    assert first.startswith(b"%PDF-") and first == render_pdf(html)


@contextmanager
def counting_server() -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", asked
        finally:
            server.shutdown()
            thread.join(5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "reference",
    [
        '<link rel="stylesheet" href="{base}/s.css">',
        '<img src="{base}/i.png">',
        '<p style="background: url({base}/b.png)">托位</p>',
        '<img src="file:///etc/hostname">',
    ],
)
def test_the_pdf_fetches_nothing_and_stops_if_the_html_asks_for_anything(reference):
    with counting_server() as (base, asked):
        with pytest.raises(OutsideResource, match="may load nothing"):
            render_pdf(f"<html><body>{reference.format(base=base)}<p>托位</p></body></html>".encode())
    assert asked == []


def test_times_read_as_a_date_when_they_end_a_day_else_with_the_minute():
    assert moment(datetime(2024, 12, 31, 23, 59, 59, 999999, SHANGHAI)) == "2024年12月31日"
    assert moment(datetime(2025, 1, 15, 12, 0, tzinfo=SHANGHAI)) == "2025年1月15日 12:00"
    assert short_day("2024-03-01T23:30:00+00:00") == "2024.3.2"  # Beijing's date


def test_shares_read_in_per_cent_slots_per_1000_with_two_decimals_and_counts_whole():
    assert (
        kpi_value("inclusive_share", 0.6623),
        kpi_value("slots_per_1000", 4.5),
        kpi_value("new_slots", 598),
        kpi_value("new_slots", None),
    ) == ("66.2%", "4.50", "598", "—")


@pytest.mark.parametrize(
    "accept, pdf",
    [
        ("application/pdf", True),
        ("text/html", False),
        ("", False),
        ("*/*", False),
        ("text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8", False),
        ("application/pdf, text/html;q=0.5", True),
        ("application/pdf;q=0", False),
        ("application/pdf;q=x", False),
    ],
)
def test_the_route_serves_pdf_when_accept_ranks_it_above_html(accept, pdf):
    assert prefers_pdf(accept) is pdf
