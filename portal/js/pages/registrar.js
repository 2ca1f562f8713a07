// The university registrar: the re-count queue, each request confirmed with the order or rejected.
import { get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { filled, form } from "../forms.js";
import { dateTime, number, t, term } from "../i18n.js";
import { directionNames, pagedList, status, table } from "../components.js";

async function recounts(container) {
  const list = h("div", { id: "recounts" });
  const filter = h("select", { id: "recount-status", onchange: () => load() },
    ["pending", "confirmed", "rejected", "refused"].map((value) => h("option", { value }, term("recount", value))));
  const directions = await directionNames();
  const load = () => pagedList(list, (offset) => get("/credits/requests", { status: filter.value, limit: 20, offset }),
    (items) => table([
      { label: "field.student", value: (item) => item.student_name },
      { label: "field.site", value: (item) => `${item.organisation_name} · ${directions[item.direction] || item.direction}` },
      { label: "field.hours", value: (item) => number(item.hours) },
      { label: "field.credits", value: (item) => String(item.credits) },
      { label: "field.received", value: (item) => dateTime(item.received_at) },
      { label: "field.status", value: (item) => [status("recount", item.status),
        item.order_number ? h("small", { class: "muted" }, ` № ${item.order_number}`) : null,
        item.reason ? h("small", { class: "muted" }, ` ${item.reason}`) : null] },
      { label: "common.actions", value: (item) => (item.status === "pending" ? decisionActions(item, load) : "") },
    ], items, { rowKey: (item) => item.id, empty: "recount.none" }));
  replace(container, h("label", { class: "filter" }, t("field.status"), " ", filter), list);
  await load();
}

function decisionActions(request, reload) {
  const area = h("div", {});
  const open = (label, fields, decision) => h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
    fields,
    submitLabel: label,
    submit: async (values) => {
      await post(`/credits/requests/${request.id}/${decision}`, filled(values));
      await reload();
    },
  })) }, label);
  return h("div", { class: "row-actions" },
    open(t("recount.confirm"), [{ name: "discipline", label: t("field.discipline") },
      { name: "order_number", label: t("field.orderNumber") },
      { name: "order_date", label: t("field.orderDate"), type: "date" }], "confirm"),
    open(t("recount.reject"), [{ name: "reason", label: t("field.reason"), type: "textarea" }], "reject"),
    area);
}

export default [
  { path: "recounts", title: "nav.recounts", render: recounts },
];
