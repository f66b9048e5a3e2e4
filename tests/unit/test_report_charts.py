"""The report's charts: inline SVG with round axes, step lines for recorded figures, dashed target
lines, escaped labels, and the same bytes for the same figures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import date

import pytest

from tuoyu.report.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, Line, Marker, line_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"
START, END = date(2024, 1, 1), date(2024, 12, 31)


def chart(*lines: Line, markers: tuple[Marker, ...] = ()) -> ElementTree.Element:
    return ElementTree.fromstring(line_chart(list(lines), list(markers), START, END, "个"))


@pytest.mark.parametrize("highest, step", [(1057, 250), (700, 200), (40, 10), (4.5, 1), (0.66, 0.2), (1, 0.25)])
def test_the_value_axis_steps_are_round_and_few(highest, step):
    assert nice_step(highest) == pytest.approx(step)


def test_the_value_axis_reaches_just_above_the_highest_figure_in_round_steps():
    svg = chart(Line("托位", ((START, 0.0), (date(2024, 6, 1), 1057.0))))
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end" and t.text != "个"]
    assert labels == ["0", "250", "500", "750", "1000", "1250"]


def test_a_recorded_figure_is_a_step_line_held_to_the_end_of_the_chart():
    svg = chart(Line("托位", ((START, 0.0), (date(2024, 7, 1), 10.0))))
    path = next(svg.iter(f"{SVG}path"))
    plot_width = WIDTH - LEFT - RIGHT
    x_july = LEFT + plot_width * (date(2024, 7, 1) - START).days / (END - START).days
    y_ten = TOP + (HEIGHT - TOP - BOTTOM) * (1 - 10 / 12.5)  # top of the axis: 12.5 (steps of 2.5)
    assert path.get("d") == f"M{LEFT:.1f},{HEIGHT - BOTTOM:.1f}H{x_july:.1f}V{y_ten:.1f}H{WIDTH - RIGHT:.1f}"
    assert path.get("stroke-dasharray") is None


def test_a_target_is_a_dashed_straight_line_with_a_marker_at_due():
    target = Line("目标", ((START, 5.0), (END, 20.0)), "target", step=False)
    svg = chart(Line("托位", ((START, 5.0),)), target, markers=(Marker("目标20", END, 20.0),))
    paths = list(svg.iter(f"{SVG}path"))
    assert paths[1].get("stroke-dasharray") and re.fullmatch(r"M[\d.]+,[\d.]+L[\d.]+,[\d.]+", paths[1].get("d"))
    assert [t.text for t in svg.iter(f"{SVG}text") if t.text == "目标20"] == ["目标20"]
    assert len(list(svg.iter(f"{SVG}circle"))) == 1


def test_labels_are_escaped_and_the_legend_names_every_line():
    svg = chart(Line("<托位> & 普惠", ((START, 1.0),)), Line("目标", ((START, 1.0), (END, 2.0)), "target", False))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<托位> & 普惠" in texts and "目标" in texts


def test_the_time_axis_marks_quarters_over_two_years_and_years_over_five():
    short = line_chart([Line("a", ((START, 1.0),))], [], date(2023, 1, 1), END, "个")
    assert re.findall(r">(\d{4}年|\d+月)<", short) == ["2023年", "4月", "7月", "10月", "2024年", "4月", "7月", "10月"]
    long = line_chart([Line("a", ((START, 1.0),))], [], date(2019, 1, 1), END, "个")
    assert re.findall(r">(\d{4}年|\d+月)<", long) == [f"{y}年" for y in range(2019, 2025)]


def test_the_same_figures_give_the_same_bytes():
    lines = [
        Line("托位", ((START, 3.0), (date(2024, 2, 2), 7.0))),
        Line("目标", ((START, 3.0), (END, 9.0)), "target", False),
    ]
    assert line_chart(lines, [], START, END, "个") == line_chart(list(lines), [], START, END, "个")
