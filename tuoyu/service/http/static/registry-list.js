// The map's list of the filtered institutions, and the count above it.
function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

export function drawList(shown, order, selected, onSelect) {
  const rows = [...shown].sort((a, b) => order[a.properties.township] - order[b.properties.township]
    || String(a.properties.name).localeCompare(String(b.properties.name), "zh-CN"));
  const body = document.querySelector("#list tbody");
  body.replaceChildren(...rows.map((f) => {
    const p = f.properties;
    const tr = document.createElement("tr");
    tr.setAttribute("data-institution-id", p.institution_id);
    if (p.institution_id === selected) tr.className = "selected";
    tr.append(cell(p.name || p.institution_id), cell(p.township_zh), cell(p.kind_zh || p.kind),
      cell(String(p.slots), "num"), cell(p.inclusive ? "✔ 普惠" : "— 否", p.inclusive ? "yes" : "no"),
      cell(p.monthly_fee_yuan == null ? "—" : Number(p.monthly_fee_yuan).toLocaleString("zh-CN"), "num"));
    tr.addEventListener("click", () => onSelect(p.institution_id));
    return tr;
  }));
  if (!rows.length) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const td = cell("没有符合条件的机构");
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
  }
  const slots = shown.reduce((s, f) => s + f.properties.slots, 0);
  const inclusive = shown.filter((f) => f.properties.inclusive).length;
  const summary = document.getElementById("summary");
  summary.setAttribute("data-count", String(shown.length));
  summary.replaceChildren("共 ", bold(shown.length), " 家机构 · 托位 ", bold(slots.toLocaleString("zh-CN")),
    " 个 · 普惠 ", bold(inclusive), " 家");
}

function bold(text) {
  const b = document.createElement("b");
  b.textContent = String(text);
  return b;
}
