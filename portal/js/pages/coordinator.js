// The site coordinator: projects and interview slots, applicants, the day's attendance sheet for the
// whole site, disputed hours, and completion reports.
import { ApiError, api, get, post } from "../api.js";
import { h, replace, uuid } from "../dom.js";
import { signedDocument } from "../eds.js";
import { mobileSigned } from "../egov-mobile.js";
import { clearErrors, filled, form, showError, succeeded } from "../forms.js";
import { date, dateTime, number, t, term, today } from "../i18n.js";
import {
  actionButton, directionNames, directionOptions, notice, pagedList, progressBar, section, status, table, voucherOptions,
} from "../components.js";
import { checkIns, checkInScreen } from "./check-in.js";

const IDEMPOTENCY_HEADER = "Idempotency-Key";

async function projects(container) {
  const list = h("div", { id: "site-projects" });
  const create = form({
    fields: [
      { name: "title", label: t("field.title") },
      { name: "description", label: t("field.description"), type: "textarea" },
      { name: "direction", label: t("field.direction"), type: "select", options: await directionOptions() },
      { name: "voucher_kind", label: t("field.voucher"), type: "select", options: await voucherOptions() },
      { name: "places", label: t("field.places"), type: "number", min: 1, value: "5" },
      { name: "starts_on", label: t("field.startsOn"), type: "date" },
      { name: "ends_on", label: t("field.endsOn"), type: "date" },
      { name: "schedule", label: t("field.schedule"), placeholder: t("project.scheduleHint") },
      { name: "online", label: t("project.online"), type: "checkbox" },
      languagesField(),
    ],
    submitLabel: t("project.publish"),
    submit: async (values, element) => {
      const { lang_kk: kk, lang_ru: ru, places, ...rest } = values;
      await post("/projects", { ...filled(rest), online: values.online, places: Number(places) || places,
        languages: [kk && "kk", ru && "ru"].filter(Boolean) });
      element.reset();
      succeeded(element, t("project.published"));
      await loadProjects(list);
    },
  });
  create.id = "project-form";
  replace(container, section("project.mine", list), section("project.new", create));
  await loadProjects(list);
}

function languagesField() {
  return h("fieldset", { class: "field", dataset: { field: "languages" } }, h("legend", {}, t("field.workLanguage")),
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "lang_kk", checked: true }), " Қазақша"),
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "lang_ru", checked: true }), " Русский"),
    h("p", { class: "field-error", role: "alert" }));
}

async function loadProjects(list) {
  const directions = await directionNames();
  await pagedList(list, (offset) => get("/projects", { limit: 20, offset, sort: "-created_at" }),
    (items) => items.map((project) => {
      const slots = h("div", { class: "slots" });
      const card = h("article", { class: "card project", dataset: { id: project.id } },
        h("h3", {}, project.title, " ", status("project", project.status)),
        h("p", { class: "muted" }, `${directions[project.direction]} · ${term("voucherKind", project.voucher_kind)} · `
          + `${date(project.starts_on)} — ${date(project.ends_on)}`),
        h("p", {}, t("project.freePlaces", { free: project.free_places, places: project.places })),
        h("div", { class: "row-actions" },
          project.status === "open" ? actionButton(t("project.pause"), () => setStatus(project, "paused", list)) : null,
          project.status === "paused" ? actionButton(t("project.reopen"), () => setStatus(project, "open", list)) : null,
          project.status !== "closed" ? actionButton(t("project.close"), () => setStatus(project, "closed", list)) : null),
        slots);
      loadSlots(project, slots);
      return card;
    }));
}

async function setStatus(project, value, list) {
  await post(`/projects/${project.id}/status`, { status: value });
  await loadProjects(list);
}

async function loadSlots(project, container) {
  const slots = (await get(`/projects/${project.id}/slots`)).items;
  const add = form({
    className: "inline-form",
    fields: [
      { name: "slots.0.starts_at", label: t("field.startsAt"), type: "datetime-local" },
      { name: "slots.0.online_link", label: t("field.onlineLink"), type: "url", placeholder: "https://" },
      { name: "slots.0.address", label: t("field.address") },
    ],
    submitLabel: t("slot.add"),
    submit: async (values) => {
      const startsAt = values["slots.0.starts_at"];
      const slot = filled({ starts_at: startsAt ? new Date(startsAt).toISOString() : "",
        online_link: values["slots.0.online_link"], address: values["slots.0.address"] });
      await post(`/projects/${project.id}/slots`, { slots: [slot] });
      await loadSlots(project, container);
    },
  });
  replace(container, h("h4", {}, t("slot.title")), table([
    { label: "field.startsAt", value: (slot) => dateTime(slot.starts_at) },
    { label: "field.place", value: (slot) => slot.online_link || slot.address },
    { label: "field.status", value: (slot) => (slot.booked ? t("slot.booked") : t("slot.free")) },
  ], slots, { rowKey: (slot) => slot.id, empty: "slot.none" }), add);
}

async function applicants(container) {
  const list = h("div", { id: "applicants" });
  const filter = h("select", { name: "status", id: "applicant-status", onchange: () => load() },
    [["", t("filter.any")], ...["applied", "waitlisted", "offered", "accepted", "rejected", "no_show", "withdrawn"]
      .map((value) => [value, term("application", value)])].map(([value, text]) => h("option", { value }, text)));
  const load = () => pagedList(list, (offset) => get("/applications", filled({ status: filter.value, limit: 20, offset })),
    (items) => table([
      { label: "field.student", value: (item) => item.student_name },
      { label: "field.project", value: (item) => item.project_title },
      { label: "field.motivation", value: (item) => item.motivation || "—" },
      { label: "field.interview", value: (item) => (item.interview ? dateTime(item.interview.starts_at) : "—") },
      { label: "field.status", value: (item) => status("application", item.status) },
      { label: "common.actions", value: (item) => outcomeActions(item, load) },
    ], items, { rowKey: (item) => item.id }));
  replace(container, h("label", { class: "filter" }, t("field.status"), " ", filter), list);
  await load();
}

function outcomeActions(application, reload) {
  if (!["applied", "offered"].includes(application.status) || !application.interview) return "";
  const area = h("div", {});
  const decide = async (outcome, reason) => {
    await post(`/applications/${application.id}/outcome`, filled({ outcome, reason }));
    await reload();
  };
  return h("div", { class: "row-actions" },
    actionButton(t("outcome.accept"), () => decide("accepted"), { className: "primary accept" }),
    actionButton(t("outcome.noShow"), () => decide("no_show")),
    h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
      fields: [{ name: "reason", label: t("field.reason"), type: "textarea" }],
      submitLabel: t("outcome.reject"),
      submit: (values) => decide("rejected", values.reason),
    })) }, t("outcome.reject")), area);
}

// The day's sheet: one row per student placed at the site, hours and a note each, sent at once.
async function attendance(container) {
  const placements = (await get("/progress", { limit: 200 })).items.filter((item) => item.placement_status === "active"
    && !["submitted", "accepted"].includes(item.report_status));
  if (!placements.length) {
    replace(container, notice(t("attendance.nobody")));
    return;
  }
  let key = uuid(); // the same sheet sent twice (a lost answer, a double click) is logged once
  const summary = h("div", { id: "attendance-summary" });
  const sheet = form({
    className: "attendance",
    fields: [{ name: "work_date", label: t("field.date"), type: "date", value: today(), max: today() },
      h("div", { class: "table-wrap" }, h("table", { class: "table sheet" },
        h("thead", {}, h("tr", {}, ["field.student", "field.project", "field.progress", "field.hours", "field.note"]
          .map((label) => h("th", { scope: "col" }, t(label))))),
        h("tbody", {}, placements.map((item, index) => h("tr", { dataset: { placement: item.placement_id } },
          h("td", { "data-label": t("field.student") }, item.student_name),
          h("td", { "data-label": t("field.project") }, item.project_title),
          h("td", { "data-label": t("field.progress") }, progressBar(item.hours_logged, item.hours_required),
            h("small", {}, `${number(item.hours_logged)} / ${item.hours_required}`)),
          h("td", { "data-label": t("field.hours") }, h("div", { class: "field", dataset: { field: `rows.${index}.hours` } },
            h("input", { type: "number", name: `rows.${index}.hours`, min: 0, max: 8, step: 0.25, inputmode: "decimal",
              "aria-label": `${t("field.hours")}: ${item.student_name}` }),
            h("p", { class: "field-error", role: "alert" }))),
          h("td", { "data-label": t("field.note") }, h("div", { class: "field", dataset: { field: `rows.${index}.note` } },
            h("input", { type: "text", name: `rows.${index}.note`, value: t("attendance.defaultNote"),
              "aria-label": `${t("field.note")}: ${item.student_name}` }),
            h("p", { class: "field-error", role: "alert" })))))))),
    ],
    extra: [h("button", { type: "button", class: "secondary", id: "fill-all", onclick: () => fillAll(sheet) },
      t("attendance.fillAll"))],
    submitLabel: t("attendance.submit"),
    submit: async (values, element) => {
      const rows = placements.map((item, index) => ({ index, placement_id: item.placement_id,
        hours: values[`rows.${index}.hours`], note: values[`rows.${index}.note`] })).filter((row) => row.hours !== "");
      if (!rows.length) throw new Error(t("attendance.empty"));
      let answer;
      try {
        answer = await post("/hours/days", { work_date: values.work_date,
          rows: rows.map(({ placement_id: placementId, hours, note }) => ({ placement_id: placementId, hours, note })) },
        { headers: { [IDEMPOTENCY_HEADER]: key } });
      } catch (error) {
        throw onSheetRows(error, rows);
      }
      key = uuid();
      showDayResults(element, rows, answer, summary);
    },
  });
  sheet.id = "attendance-sheet";
  replace(container, sheet, summary);
}

function fillAll(sheet) {
  const first = sheet.querySelector("input[name$='.hours']");
  const hours = first.value || "2";
  sheet.querySelectorAll("input[name$='.hours']").forEach((input) => {
    input.value = hours;
  });
}

// The API numbers the rows it was sent; the sheet's rows include the students left blank.
function onSheetRows(error, rows) {
  if (error instanceof ApiError && error.fields.rows && typeof error.fields.rows === "object") {
    error.fields.rows = Object.fromEntries(Object.entries(error.fields.rows)
      .map(([sent, fields]) => [rows[Number(sent)]?.index ?? sent, fields]));
  }
  return error;
}

// Each row was logged or refused on its own: refusals are shown on their row, by the row's index.
function showDayResults(element, rows, answer, summary) {
  clearErrors(element);
  replace(summary, notice(t("attendance.result", { logged: answer.logged, refused: answer.refused }),
    answer.refused ? "warning" : "success"));
  const refused = {};
  answer.results.forEach((result) => {
    if (result.status === 201) {
      element.querySelector(`tr[data-placement="${result.placement_id}"]`)?.classList.add("logged");
      return;
    }
    const fields = result.error?.fields || {};
    const onRow = Object.fromEntries(Object.entries(fields).filter(([name]) => name === "hours" || name === "note"));
    refused[rows[result.index].index] = Object.keys(onRow).length ? onRow
      : { hours: [result.error?.message || t("attendance.refused")] };
  });
  if (Object.keys(refused).length) {
    showError(element, new ApiError(422, { error: { code: "rows_refused", message: t("attendance.someRefused"),
      fields: { rows: refused } } }));
  }
}

async function disputes(container) {
  const list = h("div", { id: "disputes" });
  const load = () => pagedList(list, (offset) => get("/hours", { status: "disputed", limit: 50, offset }),
    (items) => table([
      { label: "field.date", value: (entry) => date(entry.work_date) },
      { label: "field.hours", value: (entry) => number(entry.hours) },
      { label: "field.note", value: (entry) => entry.note },
      { label: "field.comment", value: (entry) => entry.student_comment },
      { label: "common.actions", value: (entry) => disputeActions(entry, load) },
    ], items, { rowKey: (entry) => entry.id, empty: "dispute.none" }));
  replace(container, list);
  await load();
}

function disputeActions(entry, reload) {
  const area = h("div", {});
  return h("div", { class: "row-actions" },
    h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
      fields: [{ name: "note", label: t("field.answer"), type: "textarea" }],
      submitLabel: t("dispute.resolve"),
      submit: async (values) => {
        await post(`/hours/${entry.id}/resolve`, values);
        await reload();
      },
    })) }, t("dispute.resolve")),
    h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
      fields: [{ name: "hours", label: t("field.correction"), type: "number", step: 0.25 },
        { name: "reason", label: t("field.reason") }],
      submitLabel: t("dispute.correct"),
      submit: async (values, element) => {
        await post(`/hours/${entry.id}/corrections`, values, { headers: { [IDEMPOTENCY_HEADER]: uuid() } });
        succeeded(element, t("dispute.corrected"));
      },
    })) }, t("dispute.correct")), area);
}

async function reports(container) {
  const progress = (await get("/progress", { limit: 200 })).items;
  replace(container, table([
    { label: "field.student", value: (item) => item.student_name },
    { label: "field.project", value: (item) => item.project_title },
    { label: "field.progress", value: (item) => [progressBar(item.hours_confirmed, item.hours_required),
      h("small", {}, t("hours.progress", { confirmed: number(item.hours_confirmed), logged: number(item.hours_logged),
        required: item.hours_required }))] },
    { label: "field.status", value: (item) => (item.report_status ? status("report", item.report_status) : "—") },
    { label: "common.actions", value: (item) => reportAction(item, container) },
  ], progress, { rowKey: (item) => item.placement_id, empty: "attendance.nobody" }));
}

function reportAction(item, container) {
  const ready = Number(item.hours_confirmed) >= item.hours_required && !item.open_disputes
    && [null, undefined, "rejected"].includes(item.report_status);
  if (!ready) return "";
  return [actionButton(t("report.submit"), async () => {
    // the report's PDF, signed by the organisation's EDS (registry verifies it against the site's BIN)
    const pdf = await api("GET", `/placements/${item.placement_id}/report-document`, { raw: true });
    const signature = await signedDocument(await pdf.arrayBuffer(), true);
    await post("/reports", { placement_id: item.placement_id, signature });
    await reports(container);
  }, { className: "primary submit-report" }), actionButton(t("egov.submitReport"), async () => {
    // the same PDF, signed in eGov Mobile or eGov Business by QR, then submitted as above
    const { signature } = await mobileSigned("report", { placement_id: item.placement_id });
    await post("/reports", { placement_id: item.placement_id, signature });
    await reports(container);
  }, { className: "secondary submit-report-egov" })];
}

export default [
  { path: "attendance", title: "nav.attendance", render: attendance },
  { path: "check-in", title: "nav.checkInScreen", render: checkInScreen },
  { path: "check-ins", title: "nav.checkIns", render: checkIns },
  { path: "projects", title: "nav.siteProjects", render: projects },
  { path: "applicants", title: "nav.applicants", render: applicants },
  { path: "disputes", title: "nav.disputes", render: disputes },
  { path: "reports", title: "nav.reports", render: reports },
];
