// The university registrar: students' enrolment (one by one, or a roster CSV), and the re-count queue,
// each request confirmed with the order or rejected; the selected ones confirmed at once under one
// order; the queue as CSV, and a CSV of decisions imported.
import { ApiError, api, get, post } from "../api.js";
import { download, h, replace } from "../dom.js";
import { filled, form, succeeded } from "../forms.js";
import { dateTime, number, t, term } from "../i18n.js";
import { actionButton, directionNames, notice, pagedList, status, table } from "../components.js";

const ORDER_FIELDS = () => [{ name: "discipline", label: t("field.discipline") },
  { name: "order_number", label: t("field.orderNumber") },
  { name: "order_date", label: t("field.orderDate"), type: "date" }];

async function recounts(container) {
  const list = h("div", { id: "recounts" });
  const filter = h("select", { id: "recount-status", onchange: () => load() },
    ["pending", "confirmed", "rejected", "refused"].map((value) => h("option", { value }, term("recount", value))));
  const directions = await directionNames();
  const selected = new Set();
  const outcome = h("div", { id: "recount-outcome" });
  const selectAll = h("input", { type: "checkbox", id: "recount-select-all", "aria-label": t("recount.selectAll"),
    onchange: () => list.querySelectorAll("input.recount-select").forEach((box) => {
      box.checked = selectAll.checked;
      box.dispatchEvent(new Event("change"));
    }) });
  const load = () => {
    selected.clear();
    selectAll.checked = false;
    return pagedList(list, (offset) => get("/credits/requests", { status: filter.value, limit: 20, offset }),
      (items) => table([
        { label: "recount.select", value: (item) => (item.status === "pending" ? h("input", { type: "checkbox",
          class: "recount-select", "aria-label": item.student_name,
          onchange: (event) => (event.target.checked ? selected.add(item.id) : selected.delete(item.id)) }) : "") },
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
  };
  // The selected requests confirmed in one request under one order; the answer counts each row's outcome.
  const confirmSelected = form({
    fields: ORDER_FIELDS(),
    submitLabel: t("recount.confirmSelected"),
    className: "recount-bulk",
    submit: async (values, element) => {
      if (!selected.size) return succeeded(element, t("recount.noneSelected"));
      const answer = await post("/credits/requests/confirmations", { ...filled(values),
        requests: [...selected].map((id) => ({ request_id: id })) });
      replace(outcome, notice(t("recount.bulkConfirmed", answer), answer.refused ? "warning" : "success"),
        answer.refused ? h("ul", { class: "row-errors" }, answer.results.filter((row) => row.error)
          .map((row) => h("li", {}, row.error.message))) : null);
      await load();
    },
  });
  const exportCsv = actionButton(t("recount.downloadCsv"), async () => {
    const response = await api("GET", "/credits/requests.csv", { query: { status: filter.value }, raw: true });
    download(await response.blob(), "recount-requests.csv");
  }, { className: "secondary", id: "recount-csv" });
  const file = h("input", { type: "file", accept: ".csv,text/csv", id: "recount-file" });
  const importCsv = actionButton(t("recount.uploadCsv"), async () => {
    if (!file.files.length) return replace(outcome, notice(t("recount.chooseFile")));
    try {
      const answer = await api("POST", "/credits/requests/decisions", { body: file.files[0], contentType: "text/csv" });
      replace(outcome, notice(t("recount.imported", answer), "success"));
    } catch (error) {
      if (!(error instanceof ApiError) || !error.fields.rows) throw error;
      replace(outcome, notice(error.message, "error"), fileProblems(error.fields.rows));
    }
    await load();
  }, { className: "secondary", id: "recount-import" });
  replace(container, h("label", { class: "filter" }, t("field.status"), " ", filter),
    h("details", { class: "recount-tools" }, h("summary", {}, t("recount.many")),
      h("p", { class: "muted" }, t("recount.manyHint")),
      h("label", { class: "filter" }, selectAll, " ", t("recount.selectAll")), confirmSelected,
      h("div", { class: "row-actions" }, exportCsv, file, importCsv)),
    outcome, list);
  await load();
}

// A refused file's problems: its row, the column and the reason, one line each.
function fileProblems(rows) {
  const lines = Object.entries(rows).flatMap(([row, columns]) => Object.entries(columns)
    .map(([column, reasons]) => ({ row, column, reason: [].concat(reasons).join("; ") })));
  return h("div", { id: "recount-file-problems" }, table([
    { label: "recount.row", value: (line) => line.row },
    { label: "recount.column", value: (line) => line.column },
    { label: "field.reason", value: (line) => line.reason },
  ], lines));
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
    open(t("recount.confirm"), ORDER_FIELDS(), "confirm"),
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
      const answer = await api("POST", "/enrolments/roster", { body: file.files[0], contentType: "text/csv" });
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
