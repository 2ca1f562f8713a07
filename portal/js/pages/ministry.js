// The Ministry's coverage dashboard: the year's figures against the annual target, a bar per region,
// a line over the weeks, the table behind them and its CSV and XLSX downloads. Figures come from the
// coverage read model.
import { api, get, session } from "../api.js";
import { download, h, replace } from "../dom.js";
import { filled, form } from "../forms.js";
import { money, number, t } from "../i18n.js";
import { barChart, lineChart } from "../charts.js";
import { directionOptions, section, table } from "../components.js";

const METRICS = ["students_registered", "students_placed", "placements", "hours_done", "reports_accepted", "paid_kzt",
  "credits_recounted"];

function formatted(metric, value) {
  if (value === null || value === undefined) return "—";
  return metric === "paid_kzt" ? money(value) : number(value);
}

// Officers see their own region's figures; the Ministry sees the whole country.
export async function dashboard(container) {
  const region = session.get().scope.region;
  const body = h("div", { id: "coverage" });
  const filters = form({
    className: "filters",
    fields: [
      { name: "year", label: t("field.year"), type: "number", value: String(new Date().getFullYear()), min: 2019 },
      { name: "direction", label: t("field.direction"), type: "select", options: await directionOptions("filter.any") },
    ],
    submitLabel: t("coverage.show"),
    submit: (values) => show(body, filled({ ...values, region })),
  });
  filters.id = "coverage-filters";
  replace(container, filters, body);
  await show(body, filled({ year: String(new Date().getFullYear()), region }));
}

async function show(body, query) {
  const [coverage, weekly] = await Promise.all([get("/coverage", query), get("/coverage/weekly", query)]);
  const metric = h("select", { id: "coverage-metric" },
    METRICS.map((name) => h("option", { value: name, selected: name === "students_placed" }, t(`metric.${name}`))));
  const bars = h("div", { class: "chart-box", id: "region-chart" });
  const drawBars = () => replace(bars, barChart(coverage.regions.map((region) => ({
    key: region.region, label: region.region_name || region.region, value: Number(region[metric.value] ?? 0),
  })), { title: t(`metric.${metric.value}`), format: (value) => formatted(metric.value, value) }));
  metric.addEventListener("change", drawBars);
  drawBars();
  replace(body,
    h("div", { class: "kpis", id: "coverage-totals" }, METRICS.map((name) => h("div", { class: "kpi", dataset: { metric: name } },
      h("span", { class: "kpi-value" }, formatted(name, coverage.totals[name])),
      h("span", { class: "kpi-label" }, t(`metric.${name}`))))),
    h("p", { class: "target", id: "coverage-target" }, t("coverage.target", { percent: number(coverage.target_percent),
      target: number(coverage.target_students) })),
    section("coverage.byRegion", h("label", { class: "filter" }, t("coverage.metric"), " ", metric), bars),
    section("coverage.byWeek", h("div", { class: "chart-box", id: "week-chart" }, lineChart(weekly.items.map((week) => ({
      key: week.week, label: week.week.slice(5), value: week.students_placed_to_date,
    })), { title: t("coverage.placedToDate"), target: coverage.target_students, format: number }))),
    section("coverage.table", h("div", { class: "table-wrap" }, table([
      { label: "field.region", value: (region) => region.region_name || region.region },
      ...METRICS.map((name) => ({ label: `metric.${name}`, value: (region) => formatted(name, region[name]),
        className: `num metric-${name}` })),
    ], coverage.regions, { rowKey: (region) => region.region }))),
    h("div", { class: "form-actions", id: "coverage-downloads" },
      downloadButton("csv", query, coverage.year), downloadButton("xlsx", query, coverage.year)));
}

// The API wants the bearer token, so the file is fetched and handed to the browser rather than linked.
function downloadButton(format, query, year) {
  return h("button", { type: "button", class: "primary", id: `coverage-${format}`, onclick: async () => {
    const response = await api("GET", `/coverage.${format}`, { query, raw: true });
    download(await response.blob(), `coverage-${year}.${format}`);
  } }, t(`coverage.${format}`));
}

export default [
  { path: "dashboard", title: "nav.dashboard", render: dashboard },
];
