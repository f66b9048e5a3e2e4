// Past targets on the wall: each target whose due date has passed, judged at its due date
// (actual_at_due, outcome), with its responsible units by their Chinese names, lead first.
// The district's township floor, reported per township, is one row: how many townships met it.
import { el } from "/static/dom.js";
import { figure, kpiFormat } from "/static/wall-figure.js";

const OUTCOME = { met: ["✔", "达成"], missed: ["✖", "未达成"] };
const FLOOR = "township_min_slots";

function outcome(status, key) {
  const [shape, words] = OUTCOME[status];
  return el("span", { class: `status s-${status}`, "data-outcome": status, "data-outcome-of": key }, `${shape} ${words}`);
}

function units(config, ids) {
  return el("td", { class: "units", "data-responsible": ids.join(",") },
    ids.length ? ids.map((id) => config.units_zh[id] || id).join("、") : "—");
}

function targetRow(config, t) {
  const format = kpiFormat(config, t.kpi);
  const path = `targets.${t.scope}.${t.kpi}`;
  const where = t.scope === "district" ? "" : `${config.townships.find((x) => x.id === t.scope).name_zh}·`;
  return el("tr", { "data-target": `${t.scope}.${t.kpi}` },
    el("td", {}, where + (config.kpis_zh[t.kpi] || t.kpi)),
    el("td", { class: "num" }, t.due),
    el("td", { class: "num" }, figure(`${path}.actual_at_due`, t.actual_at_due, format), " / ",
      figure(`${path}.value`, t.value, format)),
    el("td", {}, outcome(t.outcome, `${t.scope}.${t.kpi}`)),
    units(config, t.responsible));
}

function floorRow(config, floors) {
  const met = floors.filter((t) => t.outcome === "met").length;
  const status = met === floors.length ? "met" : "missed";
  const first = floors[0];
  return el("tr", { "data-target": `townships.${FLOOR}` },
    el("td", {}, `${config.kpis_zh[FLOOR]}（各镇街）`),
    el("td", { class: "num" }, first.due),
    el("td", { class: "num", "data-floor-met": String(met) }, `${met} / ${floors.length} 个镇街达到 `,
      figure(`targets.${first.scope}.${FLOOR}.value`, first.value)),
    el("td", {}, outcome(status, `townships.${FLOOR}`)),
    units(config, first.responsible));
}

export function pastTargetRows(snapshot, config) {
  const past = snapshot.targets.filter((t) => t.outcome !== null && t.outcome !== undefined);
  const floors = past.filter((t) => t.kpi === FLOOR);
  const others = past.filter((t) => t.kpi !== FLOOR);
  // District first, then townships; earlier due dates first.
  others.sort((a, b) => (a.scope !== "district") - (b.scope !== "district") || a.due.localeCompare(b.due));
  const rows = others.map((t) => targetRow(config, t));
  if (floors.length) rows.splice(others.filter((t) => t.scope === "district").length, 0, floorRow(config, floors));
  return rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", class: "none" }, "暂无已到期目标"))];
}
