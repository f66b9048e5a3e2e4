// Small DOM helpers shared by the wall page and the map: elements, SVG nodes, numbers.
export const SVG_NS = "http://www.w3.org/2000/svg";

export function readConfig() {
  return JSON.parse(document.getElementById("config").textContent);
}

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function fmt(value, format) {
  if (value === null || value === undefined) return "—";
  if (format === "pct") return (value * 100).toFixed(1) + "%";
  if (format === "dec2") return Number(value).toFixed(2);
  return Number(value).toLocaleString("zh-CN");
}
