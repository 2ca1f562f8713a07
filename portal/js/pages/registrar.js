// The university registrar: students' enrolment (one by one, or a roster CSV), and the re-count queue,
// each request confirmed with the order or rejected.
import { api, get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { filled, form } from "../forms.js";
import { dateTime, number, t, term } from "../i18n.js";
import { directionNames, notice, pagedList, status, table } from "../components.js";

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

async function enrolments(container) {
  const list = h("div", { id: "enrolments" });
  const filter = h("select", { id: "enrolment-status", onchange: () => load() },
    ["pending", "confirmed", "refused"].map((value) => h("option", { value }, term("enrolment", value))));
  const load = () => pagedList(list, (offset) => get("/enrolments", { status: filter.value, limit: 20, offset }),
    (items) => table([
      { label: "field.student", value: (item) => item.full_name },
      { label: "field.iin", value: (item) => item.iin },
      { label: "field.received", value: (item) => dateTime(item.registered_at) },
      { label: "field.status", value: (item) => [status("enrolment", item.enrolment.status),
        item.enrolment.reason ? h("small", { class: "muted" }, ` ${item.enrolment.reason}`) : null] },
      { label: "common.actions", value: (item) => enrolmentActions(item, load) },
    ], items, { rowKey: (item) => item.student_id, empty: "enrolment.none" }));
  const report = h("div", { id: "roster-report" });
  const file = h("input", { type: "file", name: "roster", accept: ".csv,text/csv" });
  const upload = h("form", { id: "roster-form", class: "filter", onsubmit: async (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    try {
      const answer = await api("POST", "/enrolments/roster", { body: new Blob([file.files[0]], { type: "text/csv" }) });
      replace(report, notice(Object.entries(answer.counts).map(([outcome, n]) => `${term("enrolment", outcome)}: ${n}`)
        .join(" · ")));
      await load();
    } catch (error) {
      const rows = Object.entries(error.fields.rows || {}).map(([row, fields]) =>
        h("li", {}, `${t("enrolment.row")} ${row}: ${Object.values(fields).flat().join("; ")}`));
      replace(report, notice(error.message, "error"), h("ul", {}, rows));
    }
  } }, h("label", {}, t("enrolment.roster"), " ", file), " ", h("button", { type: "submit" }, t("enrolment.upload")));
  replace(container, upload, report, h("label", { class: "filter" }, t("field.status"), " ", filter), list);
  await load();
}

function enrolmentActions(student, reload) {
  const area = h("div", {});
  const decide = (body) => post(`/students/${student.student_id}/enrolment`, body).then(reload);
  return h("div", { class: "row-actions" },
    student.enrolment.status === "confirmed" ? null
      : h("button", { type: "button", class: "confirm", onclick: () => decide({ decision: "confirm" }) },
        t("enrolment.confirm")),
    student.enrolment.status === "refused" ? null
      : h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
        fields: [{ name: "reason", label: t("field.reason"), type: "textarea" }],
        submitLabel: t("enrolment.refuse"),
        submit: (values) => decide({ decision: "refuse", ...filled(values) }),
      })) }, t("enrolment.refuse")),
    area);
}

export default [
  { path: "enrolments", title: "nav.enrolments", render: enrolments },
  { path: "recounts", title: "nav.recounts", render: recounts },
];
