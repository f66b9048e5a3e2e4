// The wall's chart of district slots over time: stepped lines in inline SVG, drawn at the
// element's own pixel size (no scaling, so text keeps its shape), with the slots target.
import { fmt, svg } from "/static/dom.js";

function niceStep(max) {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || power * 10;
}

export function drawChart(chart, history, asOf, target) {
  const width = Math.max(300, chart.clientWidth), height = Math.max(200, chart.clientHeight);
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.replaceChildren();
  chart.setAttribute("data-points", history.length);
  chart.setAttribute("data-last", JSON.stringify(history.length ? history[history.length - 1].slots_total : null));
  if (!history.length) {
    chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "暂无托位记录"));
    return;
  }
  const left = 70, right = 110, top = 16, bottom = 36;
  const day = (iso) => Date.parse(iso.slice(0, 10) + "T00:00:00+08:00");
  const start = day(history[0].date);
  const end = Math.max(day(asOf), day(history[history.length - 1].date)) + 86400000;
  const maxY = Math.max(...history.map((p) => p.slots_total), target ? target.value : 0, 1) * 1.1;
  const x = (t) => left + ((t - start) / Math.max(1, end - start)) * (width - left - right);
  const y = (v) => top + (1 - v / maxY) * (height - top - bottom);
  const step = niceStep(maxY);
  for (let v = 0; v <= maxY; v += step) {
    chart.append(svg("line", { class: "grid-line", x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    chart.append(svg("text", { x: left - 8, y: y(v) + 6, "text-anchor": "end" }, fmt(v)));
  }
  const first = new Date(start + 8 * 3600000).getUTCFullYear();
  const halfYears = (width - left - right) / ((end - start) / (182 * 86400000)) > 110;
  for (let year = first; ; year++) {
    for (const month of halfYears ? [0, 6] : [0]) {
      const t = Date.parse(`${year}-${String(month + 1).padStart(2, "0")}-01T00:00:00+08:00`);
      if (t < start) continue;
      if (t > end) { year = Infinity; break; }
      chart.append(svg("line", { class: "axis", x1: x(t), x2: x(t), y1: height - bottom, y2: height - bottom + 6 }));
      chart.append(svg("text", { x: x(t), y: height - 10, "text-anchor": "middle" }, month ? `${year}年7月` : `${year}年`));
    }
    if (year === Infinity) break;
  }
  chart.append(svg("line", { class: "axis", x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }));
  const path = (key) => {
    let d = "", previous = null;
    for (const point of history) {
      const px = x(day(point.date)), py = y(point[key]);
      d += previous === null ? `M${px},${py}` : `H${px}V${py}`;
      previous = py;
    }
    return d + `H${x(end)}`;
  };
  if (target) {
    chart.append(svg("line", { class: "line-target", x1: left, x2: width - right, y1: y(target.value), y2: y(target.value) }));
    chart.append(svg("text", { class: "target-label", x: left + 8, y: y(target.value) - 8 }, `目标 ${fmt(target.value)}`));
  }
  chart.append(svg("path", { class: "line-inclusive", d: path("slots_inclusive") }));
  chart.append(svg("path", { class: "line-total", d: path("slots_total") }));
  const last = history[history.length - 1];
  const totalY = y(last.slots_total), inclusiveY = Math.max(y(last.slots_inclusive), totalY + 26);
  chart.append(svg("text", { class: "end-label total", x: width - right + 8, y: totalY + 8 }, fmt(last.slots_total)));
  chart.append(svg("text", { class: "end-label inclusive", x: width - right + 8, y: inclusiveY + 8 }, fmt(last.slots_inclusive)));
}
