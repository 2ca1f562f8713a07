// Charts drawn as inline SVG: horizontal bars (one per region) and a line over weeks.
import { svg } from "./dom.js";

const BAR_HEIGHT = 22;
const BAR_GAP = 6;
const LABEL_WIDTH = 190;
const VALUE_WIDTH = 70;
const WIDTH = 640;

export function barChart(rows, { title, format = String } = {}) {
  const max = Math.max(1, ...rows.map((row) => row.value));
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = rows.length * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
  return svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "chart bar-chart", role: "img", "aria-label": title },
    svg("title", {}, title),
    rows.map((row, index) => {
      const y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP);
      const width = Math.round((row.value / max) * plot);
      return svg("g", { class: "bar", "data-key": row.key, "data-value": row.value },
        svg("text", { x: LABEL_WIDTH - 8, y: y + BAR_HEIGHT * 0.7, "text-anchor": "end", class: "label" }, row.label),
        svg("rect", { x: LABEL_WIDTH, y, width: Math.max(width, row.value > 0 ? 2 : 0), height: BAR_HEIGHT, rx: 3 }),
        svg("text", { x: LABEL_WIDTH + width + 6, y: y + BAR_HEIGHT * 0.7, class: "value" }, format(row.value)));
    }));
}

export function lineChart(points, { title, format = String, target } = {}) {
  const height = 260;
  const margin = { left: 56, right: 16, top: 16, bottom: 40 };
  const plotWidth = WIDTH - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const max = Math.max(1, target ?? 0, ...points.map((point) => point.value));
  const x = (index) => margin.left + (points.length > 1 ? (index / (points.length - 1)) * plotWidth : plotWidth / 2);
  const y = (value) => margin.top + plotHeight - (value / max) * plotHeight;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => Math.round(max * share));
  const path = points.map((point, index) => `${index ? "L" : "M"}${x(index).toFixed(1)},${y(point.value).toFixed(1)}`).join(" ");
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  return svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "chart line-chart", role: "img", "aria-label": title },
    svg("title", {}, title),
    ticks.map((tick) => svg("g", { class: "grid" },
      svg("line", { x1: margin.left, x2: WIDTH - margin.right, y1: y(tick), y2: y(tick) }),
      svg("text", { x: margin.left - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)))),
    target ? svg("line", { class: "target", x1: margin.left, x2: WIDTH - margin.right, y1: y(target), y2: y(target) }) : null,
    points.length ? svg("path", { d: path, class: "line" }) : null,
    points.map((point, index) => svg("g", { class: "point", "data-key": point.key, "data-value": point.value },
      svg("circle", { cx: x(index), cy: y(point.value), r: 3.5 }, svg("title", {}, `${point.label}: ${format(point.value)}`)),
      index % labelEvery === 0
        ? svg("text", { x: x(index), y: height - margin.bottom + 18, "text-anchor": "middle", class: "label" }, point.label)
        : null)));
}
