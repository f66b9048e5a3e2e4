"""A picture of a generated dashboard's layout with live data, for the docs: NOT Grafana.

Grafana cannot run on these machines (no Docker engine, no Grafana package), so this renders the
dashboard JSON that `tuoyu generate` writes the plain way: every panel at its grid position (24
columns, rows of 30 px and 8 px margins, as Grafana lays them out), its title, and the answer of
its own queries from the real Prometheus (instant queries as numbers, tables and bars; range
queries as lines), with the panel's value mappings, renames, units, decimals and thresholds
applied. What Grafana adds (fonts, styling, sparklines, tooltips, the legend's layout) is not
imitated; a banner on the picture says so. Used by scripts/screenshots.py.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

import httpx

ROW_PX, MARGIN_PX, WIDTH_PX = 30, 8, 1900
COLOURS = {"red": "#f2495c", "green": "#73bf69", "orange": "#ff9830", "blue": "#5794f2", "text": "#ccccdc"}
LINE_COLOURS = ("#73bf69", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#fade2a")
BANNER = (
    "示意图（非 Grafana 截图）：监督管理看板 tuoyu-supervision 的面板布局，按生成的看板 JSON 排布，"
    "数据为演示数据在真实 Prometheus 上的查询结果，由 scripts/dashboard_picture.py 渲染。"
)


def _query(prometheus: httpx.Client, target: dict[str, Any]) -> list[dict[str, Any]]:
    expr = target["expr"].replace("$__rate_interval", "1m")
    if target.get("instant"):
        return prometheus.get("/api/v1/query", params={"query": expr}).json()["data"]["result"]
    now = time.time()
    return prometheus.get(
        "/api/v1/query_range", params={"query": expr, "start": now - 600, "end": now, "step": 5}
    ).json()["data"]["result"]


def _legend(target: dict[str, Any], metric: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), target.get("legendFormat") or "")


def _overrides(panel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field name -> {property id: value} of the panel's by-name overrides."""
    found: dict[str, dict[str, Any]] = {}
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        for prop in override["properties"]:
            found.setdefault(override["matcher"]["options"], {})[prop["id"]] = prop["value"]
    return found


def _mapped(value: Any, mappings: list[dict[str, Any]]) -> tuple[str, str | None] | None:
    for mapping in mappings or []:
        hit = mapping.get("options", {}).get(str(value))
        if hit:
            return hit["text"], hit.get("color")
    return None


def _number(value: float, config: dict[str, Any]) -> str:
    decimals = config.get("decimals")
    if config.get("unit") == "percentunit":
        return f"{value * 100:.{0 if decimals is None else decimals}f}%"
    if decimals is None:
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return f"{value:,.{decimals}f}"


def _colour(value: float, steps: list[dict[str, Any]]) -> str:
    chosen = "text"
    for step in steps:
        if step["value"] is None or value >= step["value"]:
            chosen = step["color"]
    return COLOURS.get(chosen, chosen)


def _stat(panel: dict[str, Any], answers: list[list[dict[str, Any]]]) -> str:
    defaults = panel["fieldConfig"]["defaults"]
    result = answers[0]
    if not result:
        return f'<div class="big" style="color:#8e8e8e">{html.escape(defaults.get("noValue", "无数据"))}</div>'
    value = float(result[0]["value"][1])
    colour = _colour(value, defaults["thresholds"]["steps"])
    return f'<div class="big" style="background:{colour}">{_number(value, defaults)}</div>'


def _cell(value: Any, config: dict[str, Any]) -> str:
    mapped = _mapped(value, config.get("mappings", []))
    if mapped:
        text, colour = mapped
        style = f' style="background:{COLOURS.get(colour, colour)}"' if colour else ""
        return f"<td{style}>{html.escape(text)}</td>"
    if isinstance(value, float):
        return f"<td>{_number(value, config)}</td>"
    return f"<td>{html.escape(str(value)) if value is not None else ''}</td>"


def _table(panel: dict[str, Any], answers: list[list[dict[str, Any]]]) -> str:
    organize = next(t for t in panel["transformations"] if t["id"] == "organize")["options"]
    columns = sorted(organize["includeByName"], key=lambda name: organize["indexByName"][name])
    labels = [c for c in columns if not c.startswith("Value #")]
    # Queries merged on their first label (one row per township), or one row per series.
    keys = labels[:1] if any(t["id"] == "merge" for t in panel["transformations"]) else labels
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for target, result in zip(panel["targets"], answers, strict=True):
        for series in result:
            key = tuple(series["metric"].get(label, "") for label in keys)
            row = rows.setdefault(key, {})
            row.update({label: series["metric"][label] for label in labels if label in series["metric"]})
            row[f"Value #{target['refId']}"] = float(series["value"][1])
    titles = [organize["renameByName"].get(c, c) for c in columns]
    overrides = _overrides(panel)
    ordered = list(rows.values())
    for sort in panel.get("options", {}).get("sortBy", []):
        name = next(c for c, t in zip(columns, titles, strict=True) if t == sort["displayName"])
        ordered.sort(key=lambda r: (r.get(name) is None, r.get(name) or 0), reverse=sort["desc"])
    head = "".join(f"<th>{html.escape(t)}</th>" for t in titles)
    body = "".join(
        "<tr>"
        + "".join(_cell(row.get(c), overrides.get(t, {})) for c, t in zip(columns, titles, strict=True))
        + "</tr>"
        for row in ordered
    )
    empty = (
        f'<p class="none">{html.escape(panel.get("fieldConfig", {}).get("defaults", {}).get("noValue", "无数据"))}</p>'
    )
    return f"<table><tr>{head}</tr>{body}</table>" if ordered else empty


def _bars(panel: dict[str, Any], answers: list[list[dict[str, Any]]]) -> str:
    overrides = _overrides(panel)
    bars = [
        (overrides.get(name, {}).get("displayName", name), float(s["value"][1]))
        for target, result in zip(panel["targets"], answers, strict=True)
        for s in result
        for name in [_legend(target, s["metric"])]
    ]
    top = max((v for _, v in bars), default=0) or 1
    return "".join(
        f'<div class="bar"><span class="name">{html.escape(name)}</span><span class="track">'
        f'<span class="fill" style="width:{100 * value / top:.1f}%"></span></span>'
        f'<span class="val">{_number(value, {})}</span></div>'
        for name, value in bars
    )


def _lines(panel: dict[str, Any], answers: list[list[dict[str, Any]]]) -> str:
    series = [
        (_legend(t, s["metric"]), [(float(x), float(y)) for x, y in s["values"]])
        for t, result in zip(panel["targets"], answers, strict=True)
        for s in result
    ]
    points = [p for _, values in series for p in values]
    if not points:
        return '<p class="none">无数据</p>'
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y1 = max(max(p[1] for p in points), 1e-9) * 1.1
    paths, legend = [], []
    for n, (name, values) in enumerate(series):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        coords = " ".join(f"{1000 * (x - x0) / ((x1 - x0) or 1):.1f},{300 - 300 * y / y1:.1f}" for x, y in values)
        paths.append(f'<polyline fill="none" stroke="{colour}" stroke-width="3" points="{coords}"/>')
        paths += [
            f'<circle cx="{c.split(",")[0]}" cy="{c.split(",")[1]}" r="5" fill="{colour}"/>' for c in coords.split()
        ]
        last = _number(values[-1][1], panel["fieldConfig"]["defaults"])
        legend.append(f'<span style="color:{colour}">━ {html.escape(name)} {last}</span>')
    return (
        f'<svg viewBox="0 0 1000 300" preserveAspectRatio="none">{"".join(paths)}</svg>'
        f'<div class="legend">{" ".join(legend)}</div>'
    )


RENDER = {"stat": _stat, "table": _table, "bargauge": _bars, "timeseries": _lines}
STYLE = """body{margin:0;background:#111217;color:#ccccdc;
 font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
.banner{background:#5c4a00;color:#ffe8a3;padding:10px 16px;font-size:18px;font-weight:700}
h1{font-size:22px;margin:10px 16px}.board{position:relative;margin:0 10px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;overflow:hidden;
 display:flex;flex-direction:column}.panel h2{font-size:14px;margin:6px 8px;font-weight:600;color:#d8d9da}
.content{flex:1;min-height:0;padding:0 8px 6px;overflow:hidden}
.big{height:100%;display:flex;align-items:center;justify-content:center;font-size:40px;font-weight:700;
 color:#fff;border-radius:2px}table{width:100%;border-collapse:collapse;font-size:13px}
th{color:#8e8e8e;font-weight:500;border-bottom:1px solid #2c3235;padding:2px}td{text-align:center;padding:2px;
 border-bottom:1px solid #22252b}.bar{display:flex;align-items:center;gap:6px;font-size:14px;margin:3px 0}
.bar .name{width:34%;text-align:right}.bar .track{flex:1;background:#22252b;height:16px}
.bar .fill{display:block;height:100%;background:#5794f2}.bar .val{width:44px}
svg{width:100%;height:75%;background:#15171b}.none{color:#8e8e8e}
.legend{font-size:13px;display:flex;flex-wrap:wrap;gap:4px 14px}"""


def render(dashboard: dict[str, Any], prometheus: httpx.Client) -> str:
    """The dashboard as one HTML page, each panel filled from Prometheus."""
    unit = (WIDTH_PX - 20) / 24
    boxes = []
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        answers = [_query(prometheus, t) for t in panel["targets"]]
        style = (
            f"left:{g['x'] * unit:.0f}px;top:{g['y'] * (ROW_PX + MARGIN_PX)}px;width:{g['w'] * unit - MARGIN_PX:.0f}px;"
            f"height:{g['h'] * (ROW_PX + MARGIN_PX) - MARGIN_PX}px"
        )
        boxes.append(
            f'<section class="panel" style="{style}"><h2>{html.escape(panel["title"])}</h2>'
            f'<div class="content">{RENDER[panel["type"]](panel, answers)}</div></section>'
        )
    height = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"]) * (ROW_PX + MARGIN_PX)
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{STYLE}</style></head><body>'
        f'<div class="banner">{html.escape(BANNER)}</div><h1>{html.escape(dashboard["title"])}</h1>'
        f'<div class="board" style="height:{height}px">{"".join(boxes)}</div></body></html>'
    )
