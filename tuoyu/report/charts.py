"""Line charts as inline SVG, drawn here so that the report needs no script and no outside file,
and so that the same figures give the same bytes (every coordinate is written with one decimal).

A chart has a time axis of days and a value axis from 0. Recorded figures are step lines (a
figure changes on the day of an event and stays until the next); a target is a dashed straight
line from its baseline at start to its value at due (the pace kpis.md measures against), ending
in a marker with its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 640, 270
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 62  # plot margins; the legend sits under the axis labels
FONT = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, SimHei, sans-serif"
STYLES = {  # stroke colour, width, dash pattern
    "series": ("#1f3864", 2.0, None),
    "second": ("#5b7fa6", 1.6, None),
    "target": ("#b22222", 1.4, "6 4"),
    "requirement": ("#b8860b", 1.4, "2 3"),
}


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[tuple[date, float], ...]  # in date order
    style: str = "series"
    step: bool = True  # a recorded figure; False: a straight line between its points


@dataclass(frozen=True)
class Marker:
    label: str
    at: date
    value: float


def line_chart(lines: list[Line], markers: list[Marker], start: date, end: date, unit: str) -> str:
    """The SVG element of a chart of `lines` from `start` to `end` (inclusive)."""
    highest = max([v for line in lines for _, v in line.points] + [m.value for m in markers] + [1.0])
    step = nice_step(highest)
    top = step * math.ceil(highest * 1.04 / step)
    scale = _Scale(start, end, top)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="{FONT}" font-size="11" role="img">'
    ]
    parts += _value_axis(scale, step, unit)
    parts += _time_axis(scale, start, end)
    for line in lines:
        if line.points:
            parts.append(_path(scale, line, end))
    for marker in markers:
        parts += _marker(scale, marker)
    parts += _legend(lines)
    parts.append("</svg>")
    return "\n".join(parts)


def nice_step(highest: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^k) for at most `ticks` steps from 0 to just above `highest`."""
    raw = highest * 1.04 / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)


class _Scale:
    def __init__(self, start: date, end: date, top: float) -> None:
        self.start, self.days, self.top = start, max(1, (end - start).days), top

    def x(self, day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - self.start).days / self.days

    def y(self, value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / self.top)


def _f(number: float) -> str:
    return f"{number:.1f}"


def _value_axis(scale: _Scale, step: float, unit: str) -> list[str]:
    parts = []
    for n in range(round(scale.top / step) + 1):
        value = step * n
        y = _f(scale.y(value))
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#d9d9d9" stroke-width="0.6"/>')
        label = f"{value:.0f}" if step >= 1 else f"{value:.2f}"
        parts.append(f'<text x="{LEFT - 6}" y="{_f(scale.y(value) + 4)}" text-anchor="end" fill="#333">{label}</text>')
    parts.append(f'<text x="{LEFT - 6}" y="{TOP - 4}" text-anchor="end" fill="#333">{escape(unit)}</text>')
    return parts


def _time_axis(scale: _Scale, start: date, end: date) -> list[str]:
    base = _f(scale.y(0))
    parts = [f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#333" stroke-width="0.8"/>']
    months = (1,) if (end - start).days > 4 * 366 else (1, 4, 7, 10)
    for year in range(start.year, end.year + 1):
        for month in months:
            tick = date(year, month, 1)
            if not start <= tick <= end:
                continue
            x = _f(scale.x(tick))
            label = f"{year}年" if month == 1 else f"{month}月"
            parts.append(
                f'<line x1="{x}" y1="{base}" x2="{x}" y2="{_f(scale.y(0) + 4)}" stroke="#333" stroke-width="0.8"/>'
            )
            parts.append(f'<text x="{x}" y="{_f(scale.y(0) + 16)}" text-anchor="middle" fill="#333">{label}</text>')
    return parts


def _path(scale: _Scale, line: Line, end: date) -> str:
    colour, width, dash = STYLES[line.style]
    (first_day, first_value), *rest = line.points
    commands = [f"M{_f(scale.x(first_day))},{_f(scale.y(first_value))}"]
    for day, value in rest:
        if line.step:
            commands.append(f"H{_f(scale.x(day))}V{_f(scale.y(value))}")
        else:
            commands.append(f"L{_f(scale.x(day))},{_f(scale.y(value))}")
    if line.step:  # a recorded figure holds until the chart's end
        commands.append(f"H{_f(scale.x(end))}")
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<path d="{"".join(commands)}" fill="none" stroke="{colour}" stroke-width="{width}"{dashed} '
        f'stroke-linejoin="round"/>'
    )


def _marker(scale: _Scale, marker: Marker) -> list[str]:
    x, y = scale.x(marker.at), scale.y(marker.value)
    colour = STYLES["target"][0]
    anchor = "end" if x > WIDTH - RIGHT - 80 else "start"
    shift = -6 if anchor == "end" else 6
    return [
        f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3.2" fill="{colour}"/>',
        f'<text x="{_f(x + shift)}" y="{_f(y - 6)}" text-anchor="{anchor}" fill="{colour}">'
        f"{escape(marker.label)}</text>",
    ]


def _legend(lines: list[Line]) -> list[str]:
    parts, x, y = [], float(LEFT), HEIGHT - 14
    for line in lines:
        colour, width, dash = STYLES[line.style]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{_f(x)}" y1="{y - 4}" x2="{_f(x + 22)}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="{width}"{dashed}/>'
        )
        parts.append(f'<text x="{_f(x + 27)}" y="{y}" fill="#333">{escape(line.label)}</text>')
        x += 27 + 11 * _width(line.label) / 2 + 18
    return parts


def _width(text: str) -> int:
    """Width in half-em units: a Chinese character is two, a Latin letter or digit one."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
