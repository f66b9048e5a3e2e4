// The wall's supervision panel: open serious and major incidents first (township, category,
// severity: the wall shows aggregates only, never an institution), then the supervision figures
// of the district (kpis.md, revision of 2026-11-30).
import { el } from "/static/dom.js";
import { figure } from "/static/wall-figure.js";

const SERIOUS = ["major", "serious"];  // most severe first

function seriousIncidents(snapshot, config) {
  const found = [];
  for (const township of config.townships) {
    const table = snapshot.townships[township.id].incidents_open_by_category_severity;
    for (const [category, counts] of Object.entries(table)) {
      for (const severity of SERIOUS) {
        if (counts[severity] > 0) found.push({ township, category, severity, count: counts[severity] });
      }
    }
  }
  found.sort((a, b) => SERIOUS.indexOf(a.severity) - SERIOUS.indexOf(b.severity) || b.count - a.count);
  return found.map(({ township, category, severity, count }) => el("li", {
    class: "incident", "data-incident": `${township.id}.${category}.${severity}` },
  el("span", { class: "sev sev-critical" }, "✖"), " ", el("b", {}, township.name_zh), " ",
  `${config.incident_categories_zh[category]}·${config.incident_severities_zh[severity]} `,
  figure(`townships.${township.id}.incidents_open_by_category_severity.${category}.${severity}`, count), " 起"));
}

function item(key, label, bad, ...value) {
  const wide = ["incidents", "fees"].includes(key) ? " wide" : "";
  return el("div", { class: `sup ${bad ? "bad" : "ok"}${wide}`, "data-supervision": key },
    el("span", { class: "label" }, label), el("span", { class: "value" }, ...value));
}

function target(snapshot, kpi) {
  const found = snapshot.targets.find((t) => t.scope === "district" && t.kpi === kpi);
  return found ? [" / 目标 ", figure(`targets.district.${kpi}.value`, found.value, "pct")] : [];
}

export function supervisionPanel(snapshot, config) {
  const d = snapshot.district;
  const p = (name) => `district.${name}`;
  const incidents = seriousIncidents(snapshot, config);
  const list = incidents.length ? incidents
    : [el("li", { class: "none" }, "✔ 无未结较大及重大安全事件")];
  const cap = d.inclusive_fee_cap_yuan;
  return [
    el("ul", { id: "serious-incidents", "data-serious-count": String(incidents.length) }, ...list),
    el("div", { class: "sup-grid" },
      item("incidents", "未结安全事件", d.incidents_open > 0, figure(p("incidents_open"), d.incidents_open), " 起（较大及以上 ",
        figure(p("incidents_open_serious"), d.incidents_open_serious), "）"),
      item("high-risk", `高风险超 ${config.seen_days} 天未检查`, d.high_risk_uninspected > 0,
        figure(p("high_risk_uninspected"), d.high_risk_uninspected), " 家"),
      item("failed", "最近一次检查不合格", d.failed_latest > 0, figure(p("failed_latest"), d.failed_latest), " 家"),
      item("training", "未完成岗前卫生保健培训", d.new_without_health_training > 0,
        figure(p("new_without_health_training"), d.new_without_health_training), " 家"),
      item("inspected", "年度检查覆盖率", false, figure(p("inspected_share"), d.inspected_share, "pct"),
        ...target(snapshot, "inspected_share")),
      item("assessed", "质量评估覆盖率", false, figure(p("assessed_share"), d.assessed_share, "pct"),
        ...target(snapshot, "assessed_share")),
      item("fees", "超出普惠收费上限", d.inclusive_over_cap > 0, figure(p("inclusive_over_cap"), d.inclusive_over_cap), " 家",
        cap === null ? "（未设上限）" : el("small", {}, "（上限 ", figure(p("inclusive_fee_cap_yuan"), cap), " 元/月）"))),
  ];
}
