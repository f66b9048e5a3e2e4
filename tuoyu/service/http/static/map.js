// The public map: filed institutions of /api/registry over a Web-Mercator schematic of the
// district (township centroids, a hull around them, a graticule), or over slippy-map tiles when
// a tile URL is configured. Filters by township, kind and inclusive status, and a list.
import { readConfig, svg as node } from "/static/dom.js";
import { convexHull, labelPlace, project, TILE, unprojectLat } from "/static/geometry.js";
import { drawList } from "/static/registry-list.js";

const config = readConfig();
const ORDER = Object.fromEntries(config.townships.map((t, i) => [t.id, i]));
const map = document.getElementById("map");
const selects = { township: document.getElementById("filter-township"), kind: document.getElementById("filter-kind"),
  inclusive: document.getElementById("filter-inclusive") };
let features = [];
let view = null; // {zoom, x, y}: the zoom and the centre in world pixels at zoom 0
let selected = null;

// ---- filters ---------------------------------------------------------------------------
function fillSelects() {
  for (const t of config.townships) selects.township.append(new Option(t.name_zh, t.id));
  for (const [kind, name] of Object.entries(config.kinds_zh)) selects.kind.append(new Option(name, kind));
  const params = new URLSearchParams(location.search);
  for (const [key, select] of Object.entries(selects)) {
    const wanted = params.get(key) || "";
    if ([...select.options].some((o) => o.value === wanted)) select.value = wanted;
    select.addEventListener("change", () => {
      rememberFilters();
      if (key === "township" && features.length) fit();
      render();
    });
  }
}

function rememberFilters() {
  const params = new URLSearchParams();
  for (const [key, select] of Object.entries(selects)) if (select.value) params.set(key, select.value);
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
}

function filtered() {
  const { township, kind, inclusive } = Object.fromEntries(Object.entries(selects).map(([k, s]) => [k, s.value]));
  return features.filter((f) => {
    const p = f.properties;
    return (!township || p.township === township) && (!kind || p.kind === kind)
      && (!inclusive || p.inclusive === (inclusive === "yes"));
  });
}

// ---- the view: fit the district, zoom, pan ---------------------------------------------
function size() {
  return [Math.max(200, map.clientWidth), Math.max(200, map.clientHeight)];
}

// Fit the chosen township (its centroid and institutions, at most zoom 14), else the district.
function fit() {
  const township = config.townships.find((t) => t.id === selects.township.value);
  const points = township
    ? [project(township.lon, township.lat), ...features.filter((f) => f.properties.township === township.id)
      .map((f) => project(...f.geometry.coordinates))]
    : [...config.townships.map((t) => project(t.lon, t.lat)), ...features.map((f) => project(...f.geometry.coordinates))];
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [width, height] = size();
  const spanX = Math.max(...xs) - Math.min(...xs) || 1e-4, spanY = Math.max(...ys) - Math.min(...ys) || 1e-4;
  const zoom = Math.log2(Math.min((width * 0.82) / spanX, (height * 0.82) / spanY));
  view = { zoom: Math.max(3, Math.min(township ? 14 : 18, zoom)), x: (Math.max(...xs) + Math.min(...xs)) / 2,
    y: (Math.max(...ys) + Math.min(...ys)) / 2 };
}

function zoomBy(delta) {
  view.zoom = Math.max(3, Math.min(18, view.zoom + delta));
  drawMap();
}

function enablePanning() {
  let start = null;
  map.addEventListener("pointerdown", (e) => {
    if (e.target.closest("[data-marker]")) return;
    start = { x: e.clientX, y: e.clientY, view: { ...view } };
    map.classList.add("dragging");
    map.setPointerCapture(e.pointerId);
  });
  map.addEventListener("pointermove", (e) => {
    if (!start) return;
    const scale = 2 ** view.zoom;
    view.x = start.view.x - (e.clientX - start.x) / scale;
    view.y = start.view.y - (e.clientY - start.y) / scale;
    drawMap();
  });
  const end = () => { start = null; map.classList.remove("dragging"); };
  map.addEventListener("pointerup", end);
  map.addEventListener("pointercancel", end);
  map.addEventListener("wheel", (e) => { e.preventDefault(); zoomBy(e.deltaY < 0 ? 0.5 : -0.5); }, { passive: false });
  document.getElementById("zoom-in").addEventListener("click", () => zoomBy(1));
  document.getElementById("zoom-out").addEventListener("click", () => zoomBy(-1));
  document.getElementById("zoom-reset").addEventListener("click", () => { fit(); drawMap(); });
}

// ---- drawing (in screen pixels: the viewBox is the element's own size) ------------------
function drawMap() {
  const [width, height] = size();
  const scale = 2 ** view.zoom;
  const screen = (lon, lat) => {
    const [x, y] = project(lon, lat);
    return [(x - view.x) * scale + width / 2, (y - view.y) * scale + height / 2];
  };
  map.setAttribute("viewBox", `0 0 ${width} ${height}`);
  map.replaceChildren();
  if (config.tile_url) drawTiles(width, height, scale);
  else drawSchematic(width, height, screen);
  const townshipLayer = node("g", { class: "townships" });
  const placed = [];
  for (const t of config.townships) {
    const [x, y] = screen(t.lon, t.lat);
    const g = node("g", { class: `township${selects.township.value === t.id ? " selected" : ""}`, "data-township": t.id,
      transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    const [dx, dy, anchor] = labelPlace(x, y, t.name_zh.length * 19 + 4, placed);
    g.append(node("circle", { class: "township-dot", r: 7 }),
      node("text", { class: "township-name", x: dx, y: dy, "text-anchor": anchor }, t.name_zh));
    townshipLayer.append(g);
  }
  map.append(townshipLayer);
  const markers = node("g", { class: "institutions" });
  for (const f of filtered()) {
    const p = f.properties;
    const [x, y] = screen(...f.geometry.coordinates);
    const g = node("g", { "data-marker": "institution", "data-institution-id": p.institution_id,
      "data-township": p.township, "data-kind": p.kind, "data-inclusive": String(p.inclusive),
      class: p.institution_id === selected ? "selected" : "", transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    g.append(p.inclusive ? node("circle", { class: "mk-inclusive", r: 9 })
      : node("rect", { class: "mk-other", x: -7, y: -7, width: 14, height: 14, transform: "rotate(45)" }));
    g.append(node("title", {}, `${p.name || p.institution_id}\n${p.township_zh} · ${p.kind_zh || p.kind}\n`
      + `托位 ${p.slots} · ${p.inclusive ? "普惠" : "非普惠"}${p.address ? `\n${p.address}` : ""}`));
    g.addEventListener("click", () => select(p.institution_id, true));
    markers.append(g);
  }
  map.append(markers);
  drawScale(width, height, scale);
}

function drawSchematic(width, height, screen) {
  map.append(node("rect", { x: 0, y: 0, width, height, fill: "#0d1628" }));
  const grid = node("g", {});
  const west = view.x - width / 2 / 2 ** view.zoom, east = view.x + width / 2 / 2 ** view.zoom;
  const north = unprojectLat(view.y - height / 2 / 2 ** view.zoom), south = unprojectLat(view.y + height / 2 / 2 ** view.zoom);
  const step = view.zoom > 12 ? 0.02 : view.zoom > 10 ? 0.05 : 0.1;
  for (let lon = Math.ceil(((west / TILE) * 360 - 180) / step) * step; lon < (east / TILE) * 360 - 180; lon += step) {
    const [x] = screen(lon, 0);
    grid.append(node("line", { class: "graticule", x1: x, x2: x, y1: 0, y2: height }));
  }
  for (let lat = Math.ceil(south / step) * step; lat < north; lat += step) {
    const [, y] = screen(0, lat);
    grid.append(node("line", { class: "graticule", x1: 0, x2: width, y1: y, y2: y }));
  }
  map.append(grid);
  // The district drawn as a schematic: a padded hull around its townships' centroids.
  const hull = convexHull(config.townships.map((t) => screen(t.lon, t.lat)));
  const cx = hull.reduce((s, p) => s + p[0], 0) / hull.length, cy = hull.reduce((s, p) => s + p[1], 0) / hull.length;
  const pad = 0.06 * 2 ** view.zoom * (TILE / 360);
  const padded = hull.map(([x, y]) => {
    const d = Math.hypot(x - cx, y - cy) || 1;
    return [x + ((x - cx) / d) * pad, y + ((y - cy) / d) * pad];
  });
  map.append(node("polygon", { class: "land", points: padded.map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" ") }));
  map.append(node("text", { class: "district-label", x: 24, y: 48 }, `${config.district_zh}（示意图）`));
  document.getElementById("map-mode").textContent = "示意图（未配置底图）";
}

function drawTiles(width, height, scale) {
  const tileZoom = Math.max(0, Math.min(19, Math.round(view.zoom)));
  const tileSize = TILE * 2 ** (view.zoom - tileZoom); // screen pixels per tile
  const n = 2 ** tileZoom;
  const left = view.x * 2 ** tileZoom - width / 2 / (tileSize / TILE), top = view.y * 2 ** tileZoom - height / 2 / (tileSize / TILE);
  const layer = node("g", { class: "tiles", "data-tile-zoom": tileZoom });
  for (let tx = Math.floor(left / TILE); tx * TILE < left + (width * TILE) / tileSize; tx++) {
    for (let ty = Math.max(0, Math.floor(top / TILE)); ty * TILE < top + (height * TILE) / tileSize && ty < n; ty++) {
      const wrapped = ((tx % n) + n) % n;
      const href = config.tile_url.replace("{z}", tileZoom).replace("{x}", wrapped).replace("{y}", ty);
      layer.append(node("image", { class: "tile", href, "data-tile": `${tileZoom}/${wrapped}/${ty}`,
        x: ((tx * TILE - left) * tileSize) / TILE, y: ((ty * TILE - top) * tileSize) / TILE,
        width: tileSize + 0.5, height: tileSize + 0.5 }));
    }
  }
  map.append(layer);
  let host = config.tile_url;
  try { host = new URL(config.tile_url.replace(/[{}]/g, "")).host; } catch (error) { /* keep the template */ }
  map.append(node("text", { class: "attribution", x: width - 10, y: height - 10, "text-anchor": "end" }, `底图：${host}`));
  document.getElementById("map-mode").textContent = "底图瓦片";
}

function drawScale(width, height, scale) {
  const lat = unprojectLat(view.y);
  const metresPerPixel = (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (TILE * scale);
  const nice = [100, 200, 500, 1000, 2000, 5000, 10000, 20000].find((m) => m / metresPerPixel >= 80) || 20000;
  const length = nice / metresPerPixel;
  const x = width - 30 - length, y = height - (config.tile_url ? 40 : 24);
  const g = node("g", { class: "scale" });
  g.append(node("line", { x1: x, x2: x + length, y1: y, y2: y }),
    node("text", { x: x + length / 2, y: y - 8, "text-anchor": "middle" }, nice >= 1000 ? `${nice / 1000} 公里` : `${nice} 米`));
  map.append(g);
}

function select(id, fromMap) {
  selected = id;
  render();
  const row = document.querySelector(`#list tr[data-institution-id="${CSS.escape(id)}"]`);
  if (row && fromMap) row.scrollIntoView({ block: "nearest" });
}

function render() {
  const shown = filtered();
  drawMap();
  drawList(shown, ORDER, selected, (id) => select(id, false));
  document.body.setAttribute("data-loaded", "true");
}

async function load() {
  try {
    const response = await fetch("/api/registry", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    features = (await response.json()).features;
    if (!view) fit();
    render();
  } catch (error) {
    document.getElementById("summary").textContent = "✖ 无法加载机构数据，稍后自动重试";
  }
}

document.getElementById("district-name").textContent = config.district_zh;
fillSelects();
enablePanning();
window.addEventListener("resize", () => view && drawMap());
load();
setInterval(load, 60000);
