// The wall page: polls /api/wall, draws the figures, the township table, the slots chart, the past
// targets, the supervision panel and the firing alerts. Every figure element carries data-path
// (where it is in the snapshot of kpis.md), data-value (the raw value) and data-format, so tests
// compare what is shown with /api/kpi.
import { drawChart } from "/static/chart.js";
import { el, fmt, readConfig } from "/static/dom.js";
import { figure } from "/static/wall-figure.js";
import { supervisionPanel } from "/static/wall-supervision.js";
import { pastTargetRows } from "/static/wall-targets.js";

const config = readConfig();
const params = new URLSearchParams(location.search);
const interval = Math.max(1, Number(params.get("refresh")) || config.refresh_seconds) * 1000;
const TOWNSHIP_ZH = Object.fromEntries(config.townships.map((t) => [t.id, t.name_zh]));
const STATUS = { met: ["✔", "已达标"], on_track: ["●", "按进度推进"], behind: ["▲", "落后于进度"],
  missed: ["✖", "逾期未完成"] };
const SEVERITY = { critical: ["✖", "严重"], warning: ["▲", "警告"], info: ["●", "提示"] };
const CONNECTION = { loading: "◌ 正在加载", live: "● 实时", stale: "▲ 数据过期",
  disconnected: "✖ 连接中断" };
let lastData = null;
let lastSuccess = 0;

function badge(status) {
  const [shape, words] = STATUS[status] || ["–", "无目标"];
  return el("span", { class: `status s-${status || "none"}`, "data-status": status || "none" }, `${shape} ${words}`);
}

function targetOf(snapshot, scope, kpi) {
  return snapshot.targets.find((t) => t.scope === scope && t.kpi === kpi) || null;
}

function targetFigure(target, field, format) {
  return target ? figure(`targets.${target.scope}.${target.kpi}.${field}`, target[field], format) : "—";
}

// ---- the tiles --------------------------------------------------------------------------
function tile(key, title, status, big, ...sub) {
  const cls = `tile ${status === "alarm" ? "alarm" : `s-${status || "none"}`}`;
  return el("article", { class: cls, "data-tile": key }, el("h3", {}, title), big, ...sub);
}

function tiles(snapshot) {
  const d = snapshot.district;
  const p = (name) => `district.${name}`;
  const slotsTarget = targetOf(snapshot, "district", "slots_total");
  const shareTarget = targetOf(snapshot, "district", "inclusive_share");
  const coverageTarget = targetOf(snapshot, "district", "inclusive_coverage");
  const certifiedTarget = targetOf(snapshot, "district", "certified_share");
  const floors = snapshot.targets.filter((t) => t.kpi === "township_min_slots");
  const worst = ["missed", "behind", "on_track", "met"].find((s) => floors.some((t) => t.status === s));
  const townshipCount = config.townships.length;
  const covered = Math.round((d.inclusive_coverage || 0) * townshipCount);
  const headsTarget = targetOf(snapshot, "district", "heads_trained");
  const caregiversTarget = targetOf(snapshot, "district", "caregivers_trained");
  const closures = d.emergency_closures_open > 0 || d.children_awaiting_rehoming > 0;
  return [
    tile("slots", "托位总数", slotsTarget?.status,
      el("div", { class: "big" }, figure(p("slots_total"), d.slots_total), el("small", {}, "个")),
      el("div", { class: "sub" }, el("span", {}, "目标 ", el("b", {}, targetFigure(slotsTarget, "value"))),
        slotsTarget ? el("span", {}, `期限 ${slotsTarget.due}`) : null, badge(slotsTarget?.status))),
    tile("inclusive", "普惠托位占比", shareTarget?.status,
      el("div", { class: "big" }, figure(p("inclusive_share"), d.inclusive_share, "pct")),
      el("div", { class: "sub" }, el("span", {}, "普惠托位 ", el("b", {}, figure(p("slots_inclusive"), d.slots_inclusive))),
        el("span", {}, "目标 ", el("b", {}, targetFigure(shareTarget, "value", "pct"))), badge(shareTarget?.status))),
    tile("coverage", "普惠服务镇街覆盖率", coverageTarget?.status,
      el("div", { class: "big" }, figure(p("inclusive_coverage"), d.inclusive_coverage, "pct")),
      el("div", { class: "sub" }, el("span", {}, `${covered} / ${townshipCount} 个镇街`),
        el("span", {}, "目标 ", el("b", {}, targetFigure(coverageTarget, "value", "pct"))), badge(coverageTarget?.status))),
    tile("floors", "镇街托位下限", d.townships_below_min_slots > 0 ? "alarm" : worst,
      el("div", { class: "big" }, figure(p("townships_below_min_slots"), d.townships_below_min_slots),
        el("small", {}, "个镇街未达下限")),
      el("div", { class: "sub" }, el("span", {}, "每镇街下限 ", el("b", {}, targetFigure(floors[0], "value")), " 个托位"),
        !floors.length ? badge(undefined) : d.townships_below_min_slots > 0
          ? el("span", { class: "status s-missed" }, "✖ 有镇街未达标") : el("span", { class: "status s-met" }, "✔ 全部达标"))),
    tile("certified", "保育人员持证率", certifiedTarget?.status,
      el("div", { class: "big" }, figure(p("certified_share"), d.certified_share, "pct")),
      el("div", { class: "sub" }, el("span", {}, "持证 ", el("b", {}, figure(p("certified_caregivers"), d.certified_caregivers)),
        " / ", el("b", {}, figure(p("caregivers"), d.caregivers)), " 人"),
        el("span", {}, "目标 ", el("b", {}, targetFigure(certifiedTarget, "value", "pct"))), badge(certifiedTarget?.status))),
    tile("training", "培训人次（累计）", [headsTarget?.status, caregiversTarget?.status].includes("missed") ? "missed"
      : [headsTarget?.status, caregiversTarget?.status].includes("behind") ? "behind" : headsTarget?.status,
      el("div", { class: "trio" },
        el("div", {}, el("span", { class: "big" }, figure(p("heads_trained"), d.heads_trained)), el("span", { class: "label" }, "机构负责人")),
        el("div", {}, el("span", { class: "big" }, figure(p("caregivers_trained"), d.caregivers_trained)), el("span", { class: "label" }, "保育人员")),
        el("div", {}, el("span", { class: "big" }, figure(p("health_trained"), d.health_trained)), el("span", { class: "label" }, "卫生保健"))),
      el("div", { class: "sub" }, el("span", {}, "负责人目标 ", el("b", {}, targetFigure(headsTarget, "value"))), badge(headsTarget?.status),
        el("span", {}, "保育人员目标 ", el("b", {}, targetFigure(caregiversTarget, "value"))), badge(caregiversTarget?.status))),
    tile("enrolled", "在托婴幼儿", "none",
      el("div", { class: "big" }, figure(p("enrolled"), d.enrolled), el("small", {}, "名")),
      el("div", { class: "sub" }, el("span", {}, "托位使用率 ", el("b", {}, figure(p("occupancy"), d.occupancy, "pct"))),
        el("span", {}, "运营机构 ", el("b", {}, figure(p("institutions_operating"), d.institutions_operating)), " 家"))),
    tile("closures", "应急关停（未安置完毕）", closures ? "alarm" : "met",
      el("div", { class: "big" }, figure(p("emergency_closures_open"), d.emergency_closures_open), el("small", {}, "起")),
      el("div", { class: "sub" }, el("span", {}, "待安置幼儿 ", el("b", {}, figure(p("children_awaiting_rehoming"), d.children_awaiting_rehoming)), " 名"),
        el("span", {}, "整改逾期 ", el("b", {}, figure(p("rectifications_overdue"), d.rectifications_overdue)), " 项"),
        closures ? el("span", { class: "status s-missed" }, "✖ 有幼儿待安置") : el("span", { class: "status s-met" }, "✔ 无待安置"))),
  ];
}

// ---- the township table: furthest below its target first ---------------------------------
function townshipTarget(snapshot, id) {
  return targetOf(snapshot, id, "slots_total") || targetOf(snapshot, id, "township_min_slots");
}

function townshipRows(snapshot) {
  const rows = config.townships.map((t) => {
    const figures = snapshot.townships[t.id];
    const target = townshipTarget(snapshot, t.id);
    const gap = target ? target.value - figures.slots_total : null;
    return { id: t.id, figures, target, gap };
  });
  rows.sort((a, b) => (b.gap ?? -Infinity) - (a.gap ?? -Infinity) || a.id.localeCompare(b.id));
  return rows.map(({ id, figures, target, gap }) => {
    const path = (name) => `townships.${id}.${name}`;
    const gapText = gap === null ? "—" : gap > 0 ? `差 ${fmt(gap)}` : gap < 0 ? `超 ${fmt(-gap)}` : "0";
    return el("tr", { "data-township": id },
      el("td", {}, TOWNSHIP_ZH[id]),
      el("td", { class: "num" }, figure(path("slots_total"), figures.slots_total)),
      el("td", { class: "num" }, targetFigure(target, "value")),
      el("td", { class: `num ${gap > 0 ? "gap-short" : ""}`, "data-gap": JSON.stringify(gap) }, gapText),
      el("td", { class: "num" }, figure(path("inclusive_share"), figures.inclusive_share, "pct")),
      el("td", { class: "num" }, figure(path("enrolled"), figures.enrolled)),
      el("td", { class: "status" }, badge(target?.status)));
  });
}

// ---- firing alerts ----------------------------------------------------------------------
// An alert about a target fires once per responsible unit; the wall receives only the rule labels
// (no `unit`) and the copies share their summary (their descriptions name the unit): each is listed
// once. Alerts that differ in a label the wall is not given (a job, an instance) have their own
// summaries, and stay apart.
function distinct(firing) {
  const seen = new Set();
  return firing.filter((alert) => {
    const key = JSON.stringify([Object.entries(alert.labels).sort(), alert.summary]);
    return seen.has(key) ? false : seen.add(key);
  });
}

function alertItems(alerts) {
  const count = document.getElementById("alerts-count");
  const list = document.getElementById("alerts-list");
  list.setAttribute("data-alerts-available", String(alerts.available));
  if (!alerts.available) {
    count.textContent = "—";
    count.setAttribute("data-alerts-count", "");
    return [el("li", { class: "unavailable", title: alerts.error || "" }, "◌ 告警服务未运行")];
  }
  const firing = distinct(alerts.firing);
  count.textContent = String(firing.length);
  count.setAttribute("data-alerts-count", String(firing.length));
  if (!firing.length) return [el("li", { class: "none" }, "✔ 当前无告警")];
  return firing.map((alert) => {
    const severity = alert.labels.severity || "info";
    const [shape, words] = SEVERITY[severity] || SEVERITY.info;
    const name = config.alerts_zh[alert.labels.alertname] || "告警";
    const where = TOWNSHIP_ZH[alert.labels.township] || TOWNSHIP_ZH[alert.labels.scope]
      || (alert.labels.scope === "district" ? config.district_zh : "");
    const since = alert.active_at ? new Date(alert.active_at) : null;
    return el("li", { class: `sev-${severity}`, "data-alert": alert.labels.alertname || "", "data-severity": severity },
      el("div", {}, el("span", { class: `sev sev-${severity}` }, `${shape} ${words}`), " ",
        el("span", { class: "summary" }, alert.summary || name)),
      el("div", { class: "meta" }, [name, where, since ? `${since.toLocaleString("zh-CN", { month: "numeric", day: "numeric", hour: "2-digit",
        minute: "2-digit", hour12: false })} 起` : ""]
        .filter(Boolean).join(" · ")));
  });
}

// Past targets that do not fit give way, the latest due first, to a row that counts them.
function fitTargets() {
  const panel = document.querySelector("section.targets");
  const body = document.querySelector("#targets-table tbody");
  const rows = [...body.querySelectorAll("tr[data-target]")];
  let hidden = 0;
  while (panel.scrollHeight > panel.clientHeight + 1 && rows.length > 1) {
    rows.pop().remove();
    hidden += 1;
    body.querySelector(".more")?.remove();
    body.append(el("tr", { class: "more", "data-hidden-targets": hidden },
      el("td", { colspan: "5" }, `…另有 ${hidden} 项已到期目标未显示`)));
  }
}

// ---- refresh loop and freshness -----------------------------------------------------------
function setConnection(state, detail) {
  const pill = document.getElementById("connection");
  pill.setAttribute("data-connection", state);
  pill.textContent = CONNECTION[state];
  document.body.setAttribute("data-state", state);
  const banner = document.getElementById("banner");
  banner.hidden = state === "live" || state === "loading";
  if (!banner.hidden) banner.textContent = detail;
}

function render(data) {
  const snapshot = data.snapshot;
  document.getElementById("tiles").replaceChildren(...tiles(snapshot));
  document.querySelector("#township-table tbody").replaceChildren(...townshipRows(snapshot));
  document.querySelector("#targets-table tbody").replaceChildren(...pastTargetRows(snapshot, config));
  document.getElementById("supervision-body").replaceChildren(...supervisionPanel(snapshot, config));
  const list = document.getElementById("alerts-list");
  list.replaceChildren(...alertItems(data.alerts));
  // More alerts than the panel holds: the least severe give way to a line that counts them.
  const items = [...list.querySelectorAll("li[data-alert]")];
  let hidden = 0;
  while (list.scrollHeight > list.clientHeight + 1 && items.length > 1) {
    items.pop().remove();
    hidden += 1;
    list.querySelector(".more")?.remove();
    list.append(el("li", { class: "more", "data-hidden-alerts": hidden }, `…另有 ${hidden} 条告警未显示`));
  }
  fitTargets();
  drawChart(document.getElementById("slots-chart"), data.history, snapshot.as_of,
    targetOf(snapshot, "district", "slots_total"));
  const updated = document.getElementById("updated");
  updated.textContent = data.generated_at.slice(0, 19).replace("T", " ");
  updated.setAttribute("datetime", data.generated_at);
  updated.setAttribute("data-updated", data.generated_at);
  document.body.setAttribute("data-position", String(snapshot.position));
}

async function refresh() {
  try {
    // A request that hangs (a half-open connection) must not stop the loop: it times out.
    const response = await fetch("/api/wall", { cache: "no-store", signal: AbortSignal.timeout(Math.max(5000, interval)) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    lastData = await response.json();
    lastSuccess = Date.now();
    render(lastData);
    setConnection("live");
  } catch (error) {
    const since = lastData ? lastData.generated_at.slice(0, 19).replace("T", " ") : "—";
    setConnection("disconnected", `✖ 与平台的连接中断，显示的是 ${since} 的数据，正在重试…`);
  } finally {
    setTimeout(refresh, interval);
  }
}

// A screen whose timers were throttled (sleeping tab, suspended machine) shows it is behind.
setInterval(() => {
  if (lastSuccess && Date.now() - lastSuccess > 3 * interval
      && document.getElementById("connection").getAttribute("data-connection") === "live") {
    setConnection("stale", `▲ 数据已超过 ${Math.round((Date.now() - lastSuccess) / 1000)} 秒未更新`);
  }
}, 1000);
window.addEventListener("resize", () => lastData && render(lastData));
document.getElementById("district-name").textContent = config.district_zh;
refresh();
