// Geometry of the map, pure functions: Web Mercator, the hull drawn around the townships, where
// a township's name goes.
export const TILE = 256;

// ---- Web Mercator: world pixels at zoom 0 (a 256-pixel square world) ----------------------
export function project(lon, lat) {
  const sin = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return [((lon + 180) / 360) * TILE, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * TILE];
}

export function unprojectLat(y) {
  return (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / TILE))) * 180) / Math.PI;
}

export function convexHull(points) {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list) => {
    const out = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

// The first of a few spots around a township's dot where its name overlaps no name placed before.
export function labelPlace(x, y, width, placed) {
  const spots = [[11, -9, "start"], [-11, -9, "end"], [11, 22, "start"], [-11, 22, "end"], [0, -16, "middle"],
    [0, 32, "middle"], [16, 6, "start"], [-16, 6, "end"]];
  const box = ([dx, dy, anchor]) => {
    const left = x + dx - (anchor === "end" ? width : anchor === "middle" ? width / 2 : 0);
    return [left, y + dy - 18, left + width, y + dy + 4];
  };
  const free = (b) => placed.every((p) => b[2] < p[0] || b[0] > p[2] || b[3] < p[1] || b[1] > p[3]);
  const spot = spots.find((s) => free(box(s))) || spots[0];
  placed.push(box(spot));
  return spot;
}
