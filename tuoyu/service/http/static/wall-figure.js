// A figure of the snapshot on the wall: shown formatted, with its place in the snapshot
// (data-path), its raw value and its format, so that tests compare what is shown with /api/kpi.
import { el, fmt } from "/static/dom.js";

export function figure(path, value, format, cls) {
  return el("span", { class: cls || "fig", "data-path": path, "data-value": JSON.stringify(value ?? null),
    "data-format": format || "int" }, fmt(value, format));
}

// How a kpi's figures read: shares as percentages, slots per 1,000 residents with two decimals.
export function kpiFormat(config, kpi) {
  if (config.ratio_kpis.includes(kpi)) return "pct";
  if (config.decimal_kpis.includes(kpi)) return "dec2";
  return "int";
}
