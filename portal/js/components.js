// Pieces every role's pages share: tables that fold into cards on a phone, status labels, option
// lists from the reference data, and buttons that run one API call.
import { reference } from "./api.js";
import { h, replace } from "./dom.js";
import { errorMessage } from "./forms.js";
import { localName, t, term } from "./i18n.js";

// columns: [{label, value(row) -> node|text, key?}]; on a phone each cell shows its column's label.
export function table(columns, rows, { empty = "list.empty", rowKey } = {}) {
  if (!rows.length) return h("p", { class: "muted empty" }, t(empty));
  return h("table", { class: "table" },
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col" }, t(column.label))))),
    h("tbody", {}, rows.map((row) => h("tr", { dataset: rowKey ? { id: rowKey(row) } : {} },
      columns.map((column) => h("td", { "data-label": t(column.label), class: column.className },
        column.value(row)))))));
}

export function status(group, value) {
  return h("span", { class: `pill pill-${value}` }, term(group, value));
}

export function notice(message, kind = "") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
}

// A button that runs `action()` once per click and shows the API's refusal beside itself.
export function actionButton(label, action, { className = "", id } = {}) {
  const message = h("span", { class: "action-error", role: "alert" });
  const button = h("button", { type: "button", class: className, id, onclick: async () => {
    button.disabled = true;
    replace(message);
    try {
      await action();
    } catch (error) {
      replace(message, errorMessage(error));
    } finally {
      button.disabled = false;
    }
  } }, label);
  return h("span", { class: "action" }, button, message);
}

export async function regionOptions(anyLabel) {
  const regions = await reference("/regions");
  const options = regions.map((region) => [region.code, localName(region)])
    .sort((a, b) => a[1].localeCompare(b[1]));
  return anyLabel ? [["", t(anyLabel)], ...options] : options;
}

export async function directionOptions(anyLabel) {
  const directions = await reference("/directions");
  const options = directions.map((direction) => [direction.code, localName(direction)]);
  return anyLabel ? [["", t(anyLabel)], ...options] : options;
}

export async function voucherOptions(anyLabel) {
  const vouchers = await reference("/vouchers");
  const options = vouchers.map((voucher) => [voucher.kind, t("voucher.name", { hours: voucher.hours })]);
  return anyLabel ? [["", t(anyLabel)], ...options] : options;
}

export async function voucherNames() {
  const vouchers = await reference("/vouchers");
  return Object.fromEntries(vouchers.map((voucher) => [voucher.kind, t("voucher.name", { hours: voucher.hours })]));
}

export async function regionNames() {
  const regions = await reference("/regions");
  return Object.fromEntries(regions.map((region) => [region.code, localName(region)]));
}

export async function directionNames() {
  const directions = await reference("/directions");
  return Object.fromEntries(directions.map((direction) => [direction.code, localName(direction)]));
}

// "Show more" paging over an API list ({items, total}); `load(offset)` answers one page.
export async function pagedList(container, load, renderItems) {
  const list = h("div", { class: "paged" });
  const more = h("button", { type: "button", class: "more" }, t("list.more"));
  const counter = h("p", { class: "muted count" });
  let shown = [];
  const next = async () => {
    const page = await load(shown.length);
    shown = shown.concat(page.items);
    replace(list, renderItems(shown));
    replace(counter, t("list.count", { shown: shown.length, total: page.total }));
    more.hidden = shown.length >= page.total;
  };
  more.addEventListener("click", next);
  replace(container, counter, list, more);
  await next();
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, t(title)), children);
}

export function progressBar(done, required) {
  const share = Math.min(1, Number(done) / Math.max(1, required));
  const bar = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(required),
    "aria-valuenow": String(done) }, h("div", { class: "progress-fill" }));
  bar.firstChild.style.width = `${Math.round(share * 100)}%`;
  return bar;
}
