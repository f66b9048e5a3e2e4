// The on-call page: log in with a token (kept for this tab only), list firing and recent alerts
// from the record (/api/oncall), acknowledge with one click (POST /api/oncall/{fingerprint}/ack,
// which also silences the alert in Alertmanager), list the open emergency closures.
import { el, readConfig } from "/static/dom.js";

const config = readConfig();
const townships = Object.fromEntries(config.townships.map((t) => [t.id, t.name_zh]));
const SEVERITY = { critical: "紧急", warning: "警告", info: "提示" };
const RECENT_DAYS = 7;
const REFRESH_MS = 15000;
const KEY = "tuoyu-oncall-token";
let timer = null;

function token() { return sessionStorage.getItem(KEY); }

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}),
    Authorization: `Bearer ${token()}`, "Content-Type": "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) { logout("令牌无效或已吊销，请重新登录。"); throw new Error("401"); }
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function beijing(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false,
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

function banner(text) {
  const node = document.getElementById("banner");
  node.textContent = text || "";
  node.hidden = !text;
}

function acknowledgement(alert) {
  const until = alert.silenced_until ? `，已静默至 ${beijing(alert.silenced_until)}` : "";
  return el("span", { class: "acked", "data-acknowledged-by": alert.acknowledged_by },
    `已确认：${alert.acknowledged_by}（${beijing(alert.acknowledged_at)}）${until}`,
    alert.note ? ` · 备注：${alert.note}` : "");
}

// Whether the acknowledgement holds now is the service's to say (its clock is the record's).
function acknowledged(alert) {
  return alert.acknowledged || (alert.status !== "firing" && Boolean(alert.acknowledged_by));
}

function ackForm(alert) {
  const note = el("input", { type: "text", placeholder: "备注（可选）", "aria-label": "备注" });
  const button = el("button", { type: "button", class: "ack-button" }, "确认");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const done = await api(`/api/oncall/${encodeURIComponent(alert.fingerprint)}/ack`,
        { method: "POST", body: JSON.stringify(note.value ? { note: note.value } : {}) });
      banner(done.silence_problem ? `已确认，但未能在 Alertmanager 中静默：${done.silence_problem}` : "");
      await refresh();
    } catch (error) {
      banner(`确认失败：${error.message}`);
      button.disabled = false;
    }
  });
  return el("div", { class: "ack" }, note, button);
}

function alertItem(alert) {
  const labels = alert.labels || {};
  const name = config.alerts_zh[alert.alertname] || alert.alertname;
  const where = townships[labels.township] || townships[labels.scope] || (labels.scope === "district" ? config.district_zh : "");
  const notes = alert.annotations || {};
  const meta = [`开始 ${beijing(alert.starts_at)}`, `通知 ${alert.notifications} 次`,
    alert.status === "resolved" ? `恢复 ${beijing(alert.resolved_at)}` : null].filter(Boolean).join(" · ");
  const links = el("span", {}, notes.runbook_url ? el("a", { href: notes.runbook_url }, "处置手册") : null,
    notes.closures_url ? " · " : null, notes.closures_url ? el("a", { href: "#closures" }, "待安置情况") : null);
  const action = acknowledged(alert) ? acknowledgement(alert) : (alert.status === "firing" ? ackForm(alert) : null);
  return el("li", { class: "alert", "data-fingerprint": alert.fingerprint, "data-severity": labels.severity,
                    "data-status": alert.status },
    el("div", { class: "head" }, el("span", { class: `pill sev-${labels.severity}` }, SEVERITY[labels.severity] || "—"),
      el("span", { class: "name" }, name), where ? el("span", {}, where) : null),
    el("p", { class: "summary" }, notes.summary || alert.alertname),
    notes.description ? el("p", { class: "description" }, notes.description) : null,
    el("p", { class: "meta" }, meta, " · ", links),
    action ? el("div", { class: "ack" }, action) : null);
}

function fill(listId, emptyId, alerts) {
  document.getElementById(listId).replaceChildren(...alerts.map(alertItem));
  document.getElementById(emptyId).hidden = alerts.length > 0;
}

async function refresh() {
  const [record, closures] = await Promise.all([api("/api/oncall?status=all"), api("/api/closures?status=open")]);
  const since = Date.now() - RECENT_DAYS * 86400000;
  const rank = (a) => ({ critical: 0, warning: 1, info: 2 }[(a.labels || {}).severity] ?? 3);
  const firing = record.alerts.filter((a) => a.status === "firing" && a.alertname !== "Watchdog")
    .sort((a, b) => rank(a) - rank(b) || String(a.starts_at).localeCompare(String(b.starts_at)));
  const recent = record.alerts.filter((a) => a.status === "resolved" && new Date(a.last_notified_at) >= since);
  fill("firing", "firing-empty", firing);
  fill("recent", "recent-empty", recent);
  document.getElementById("firing-count").textContent = firing.length;
  const rows = closures.closures.map((c) => el("tr", {}, el("td", {}, townships[c.township] || c.township),
    el("td", {}, c.name || c.institution_id), el("td", {}, beijing(c.closed_at)),
    el("td", { class: "num" }, c.children_awaiting)));
  document.querySelector("#closure-table tbody").replaceChildren(...rows);
  document.getElementById("closures-empty").hidden = rows.length > 0;
  document.body.dataset.state = "live";
}

async function enter() {
  const me = await api("/api/whoami");
  document.getElementById("who").textContent = `${me.name}（${me.role}）`;
  document.getElementById("login").hidden = true;
  document.getElementById("desk").hidden = false;
  document.getElementById("logout").hidden = false;
  await refresh();
  timer = setInterval(() => refresh().catch((error) => banner(`刷新失败：${error.message}`)), REFRESH_MS);
}

function logout(message) {
  sessionStorage.removeItem(KEY);
  clearInterval(timer);
  document.getElementById("login").hidden = false;
  document.getElementById("desk").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("login-error").textContent = message || "";
  document.body.dataset.state = "login";
}

document.getElementById("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("token").value.trim());
  enter().catch((error) => { if (error.message !== "401") logout(`登录失败：${error.message}`); });
});
document.getElementById("logout").addEventListener("click", () => logout());
if (token()) enter().catch(() => {});
