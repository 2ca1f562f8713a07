// The student: profile, project search and applications, interviews, hours, payouts and credits.
import { ApiError, api, get, post, reference } from "../api.js";
import { download, h, replace } from "../dom.js";
import { field, filled, form, succeeded } from "../forms.js";
import { date, dateTime, localName, money, number, t, term } from "../i18n.js";
import {
  actionButton, directionNames, directionOptions, notice, pagedList, progressBar, regionNames, regionOptions,
  section, status, table, voucherNames, voucherOptions,
} from "../components.js";
import { signedChange } from "../step-up.js";
import { studentCheckIn } from "./check-in.js";

const PAGE = 10;

async function profile(container) {
  const me = await get("/students/me");
  const universities = await reference("/universities");
  const facts = h("dl", { class: "facts" },
    [["field.fullName", me.full_name], ["field.iin", me.iin], ["field.birthDate", date(me.birth_date)],
      ["field.region", (await regionNames())[me.region]]]
      .map(([label, value]) => [h("dt", {}, t(label)), h("dd", {}, value)]));
  const edit = form({
    fields: [
      { name: "phone", label: t("field.phone"), type: "tel", value: me.phone },
      { name: "email", label: t("field.email"), type: "email", value: me.email },
      { name: "language", label: t("field.language"), type: "select", value: me.language,
        options: [["kk", "Қазақша"], ["ru", "Русский"], ["en", "English"]] },
      { name: "university_id", label: t("field.university"), type: "select", value: me.university_id,
        options: universities.map((item) => [item.id, localName(item)]) },
    ],
    submitLabel: t("common.save"),
    submit: async (values, element) => {
      const changes = Object.fromEntries(Object.entries(values)
        .filter(([key, value]) => value !== (me[key] ?? "")).map(([key, value]) => [key, value || null]));
      Object.assign(me, await api("PATCH", "/students/me", { body: changes }));
      succeeded(element, t("common.saved"));
    },
  });
  edit.id = "profile-form";
  replace(container, section("profile.enrolment", enrolmentState(me.enrolment)), section("profile.facts", facts),
    section("profile.contacts", edit));
}

// Whether the university confirmed the student: until then they browse projects but do not apply.
function enrolmentState(enrolment) {
  return h("div", { id: "enrolment" },
    h("p", {}, status("enrolment", enrolment.status), " ", t(`enrolment.explain.${enrolment.status}`)),
    enrolment.reason ? h("p", { class: "reason" }, `${t("field.reason")}: ${enrolment.reason}`) : null,
    enrolment.decided_at ? h("p", { class: "muted" }, `${enrolment.decided_by || ""} · ${dateTime(enrolment.decided_at)}`)
      : null);
}

async function projects(container) {
  const results = h("div", { class: "results", id: "project-results" });
  const filters = form({
    className: "filters",
    fields: [
      { name: "q", label: t("filter.words"), type: "search" },
      { name: "region", label: t("field.region"), type: "select", options: await regionOptions("filter.any") },
      { name: "direction", label: t("field.direction"), type: "select", options: await directionOptions("filter.any") },
      { name: "voucher_kind", label: t("field.voucher"), type: "select", options: await voucherOptions("filter.any") },
      { name: "online", label: t("field.format"), type: "select",
        options: [["", t("filter.any")], ["true", t("project.online")], ["false", t("project.offline")]] },
      { name: "language", label: t("field.workLanguage"), type: "select",
        options: [["", t("filter.any")], ["kk", "Қазақша"], ["ru", "Русский"]] },
      { name: "has_free_places", label: t("filter.freePlaces"), type: "checkbox", value: true },
    ],
    submitLabel: t("filter.search"),
    submit: (values) => search(results, values),
  });
  filters.id = "project-filters";
  // On a phone the filters fold away under their title, leaving the screen to the projects.
  const box = h("details", { class: "filters-box", open: matchMedia("(min-width: 720px)").matches },
    h("summary", {}, t("filter.title")), filters);
  const me = await get("/students/me");
  replace(container, me.enrolment.status === "confirmed" ? "" : notice(t(`enrolment.explain.${me.enrolment.status}`)),
    box, results);
  await search(results, { has_free_places: true });
}

async function search(results, values) {
  const query = filled({ ...values, has_free_places: values.has_free_places ? "true" : "" });
  const names = { directions: await directionNames(), regions: await regionNames(), vouchers: await voucherNames() };
  await pagedList(results, (offset) => get("/projects", { ...query, limit: PAGE, offset }),
    (items) => (items.length ? items.map((project) => projectCard(project, names))
      : h("p", { class: "muted empty" }, t("project.none"))));
}

function projectCard(project, { directions, regions, vouchers }) {
  const applyArea = h("div", { class: "apply-area" });
  const openApply = () => replace(applyArea, applyForm(project, applyArea));
  return h("article", { class: "card project", dataset: { id: project.id } },
    h("h3", {}, project.title),
    h("p", { class: "muted" }, `${project.organisation_name} · ${project.site_name}`),
    h("ul", { class: "tags" },
      h("li", {}, directions[project.direction] || project.direction),
      h("li", {}, vouchers[project.voucher_kind] || project.voucher_kind),
      h("li", {}, project.online ? t("project.online") : `${project.city}, ${regions[project.region] || project.region}`),
      h("li", {}, project.languages.map((code) => term("language", code)).join(", "))),
    h("p", {}, project.description),
    h("p", { class: "muted" }, `${date(project.starts_on)} — ${date(project.ends_on)} · ${project.schedule}`),
    h("p", { class: `places${project.free_places ? "" : " full"}` },
      t("project.freePlaces", { free: project.free_places, places: project.places })),
    h("button", { type: "button", class: "primary apply", onclick: openApply }, t("project.apply")),
    applyArea);
}

function applyForm(project, area) {
  return form({
    fields: [{ name: "motivation", label: t("field.motivation"), type: "textarea", placeholder: t("project.motivationHint") }],
    submitLabel: t("project.send"),
    submit: async (values) => {
      const application = await post(`/projects/${project.id}/applications`, filled(values));
      replace(area, notice(application.status === "waitlisted"
        ? t("project.waitlisted", { position: application.waitlist_position })
        : t("project.applied"), "success"),
      h("a", { href: "#/applications", class: "button" }, t("project.bookInterview")));
    },
  });
}

async function applications(container) {
  await pagedList(container, (offset) => get("/applications", { limit: PAGE, offset }),
    (items) => items.map((application) => applicationCard(application, container)));
}

function applicationCard(application, container) {
  const slots = h("div", { class: "slots" });
  const interview = application.interview;
  const mayBook = ["applied", "offered"].includes(application.status) && !interview;
  return h("article", { class: "card application", dataset: { id: application.id, status: application.status } },
    h("h3", {}, application.project_title),
    h("p", {}, status("application", application.status),
      application.waitlist_position ? ` ${t("application.position", { position: application.waitlist_position })}` : ""),
    interview ? h("p", { class: "interview" }, t("application.interviewAt", { at: dateTime(interview.starts_at) }), " ",
      interview.online_link ? h("a", { href: interview.online_link, rel: "noopener", target: "_blank" }, t("application.join"))
        : interview.address) : null,
    application.reason ? h("p", { class: "muted" }, application.reason) : null,
    mayBook ? actionButton(t("application.chooseSlot"), () => showSlots(application, slots, container), { className: "primary" }) : null,
    ["applied", "waitlisted"].includes(application.status) && !interview
      ? actionButton(t("application.withdraw"), async () => {
        await post(`/applications/${application.id}/withdraw`);
        await applications(container);
      }) : null,
    slots);
}

async function showSlots(application, slots, container) {
  const free = (await get(`/projects/${application.project_id}/slots`)).items.filter((slot) => !slot.booked);
  replace(slots, free.length ? h("ul", { class: "slot-list" }, free.map((slot) => h("li", {},
    actionButton(`${dateTime(slot.starts_at)} · ${slot.online_link ? t("project.online") : slot.address}`, async () => {
      await post(`/applications/${application.id}/interview`, { slot_id: slot.id });
      await applications(container);
    }, { className: "slot" })))) : notice(t("application.noSlots")));
}

async function hours(container) {
  const progress = (await get("/progress", { limit: 50 })).items;
  if (!progress.length) {
    replace(container, notice(t("hours.noPlacements")));
    return;
  }
  replace(container, ...await Promise.all(progress.map(async (item) => {
    const entries = (await get("/hours", { placement_id: item.placement_id, limit: 200 })).items;
    const card = h("article", { class: "card voucher", dataset: { placement: item.placement_id } },
      h("h3", {}, `${item.project_title} · ${t("voucher.name", { hours: item.hours_required })}`),
      h("p", { class: "muted" }, item.site_name),
      progressBar(item.hours_confirmed, item.hours_required),
      h("p", { class: "progress-text" }, t("hours.progress", { confirmed: number(item.hours_confirmed),
        logged: number(item.hours_logged), required: item.hours_required })),
      item.report_status ? h("p", {}, t("hours.report"), " ", status("report", item.report_status)) : null);
    card.append(table([
      { label: "field.date", value: (entry) => date(entry.work_date) },
      { label: "field.hours", value: (entry) => number(entry.hours) },
      { label: "field.note", value: (entry) => entry.reason || entry.note },
      { label: "field.status", value: (entry) => [status("entry", entry.status),
        entry.resolution ? h("small", { class: "muted" }, ` ${entry.resolution}`) : null] },
      { label: "common.actions", value: (entry) => entryActions(entry, container) },
    ], entries, { rowKey: (entry) => entry.id, empty: "hours.none" }));
    return card;
  })));
}

function entryActions(entry, container) {
  if (entry.status !== "pending") return "";
  const disputeArea = h("div", { class: "dispute-area" });
  return h("div", { class: "row-actions" },
    actionButton(t("hours.confirm"), async () => {
      await post(`/hours/${entry.id}/confirm`, {});
      await hours(container);
    }, { className: "primary confirm" }),
    h("button", { type: "button", class: "secondary dispute", onclick: () => replace(disputeArea, form({
      fields: [{ name: "comment", label: t("field.comment"), type: "textarea" }],
      submitLabel: t("hours.dispute"),
      submit: async (values) => {
        await post(`/hours/${entry.id}/dispute`, values);
        await hours(container);
      },
    })) }, t("hours.dispute")),
    disputeArea);
}

async function payouts(container) {
  const current = h("div", { id: "payout-details" });
  const list = h("div", { id: "payout-list" });
  const showDetails = (details) => replace(current, details
    ? h("p", {}, t("payout.current", { masked: details.masked, holder: details.holder_name }),
      details.bank_name ? ` · ${details.bank_name} (${details.bic})` : "")
    : notice(t("payout.noDetails"), "warning"));
  try {
    showDetails(await get("/me/payout-details"));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    showDetails(null);
  }
  const details = form({
    fields: [{ name: "iban", label: t("field.iban"), placeholder: "KZ…", hint: t("payout.ibanHint") },
      { name: "iin", label: t("field.iin"), inputmode: "numeric" },
      { name: "holder_name", label: t("field.holder"), autocomplete: "name" }],
    submitLabel: t("common.save"),
    submit: async (values, element) => {
      const body = { iban: values.iban, iin: values.iin, holder_name: values.holder_name };
      showDetails(await signedChange("PUT", "/me/payout-details", body)); // signed with EDS: a step-up
      succeeded(element, t("common.saved"));
    },
  });
  details.id = "payout-details-form";
  replace(container, section("payout.details", current, details), section("payout.list", list));
  await pagedList(list, (offset) => get("/payouts", { limit: PAGE, offset }), (items) => table([
    { label: "field.voucher", value: (payout) => term("voucherKind", payout.voucher_kind) },
    { label: "field.amount", value: (payout) => money(payout.amount_kzt) },
    { label: "field.status", value: (payout) => [status("payout", payout.status),
      payout.reason ? h("small", { class: "muted" }, ` ${payout.reason}`) : null,
      payout.student_must_act ? h("p", { class: "action-needed" }, t("payout.actNow")) : null] },
    { label: "field.destination", value: (payout) => payout.destination?.masked || "—" },
    { label: "field.date", value: (payout) => dateTime(payout.paid_at || payout.sent_at || payout.created_at) },
  ], items, { rowKey: (payout) => payout.id }));
}

async function credits(container) {
  const mine = await get("/students/me/credits");
  const directions = await directionNames();
  const certificateStatus = h("span", { class: "action-error", role: "alert" });
  replace(container,
    section("credits.total", h("p", { class: "big-number", id: "credits-total" },
      t("credits.summary", { total: mine.total_credits, max: mine.max_credits, pending: mine.pending_credits }))),
    section("credits.requests", table([
      { label: "field.project", value: (item) => `${item.organisation_name} · ${directions[item.direction] || item.direction}` },
      { label: "field.voucher", value: (item) => term("voucherKind", item.voucher_kind) },
      { label: "field.credits", value: (item) => String(item.credits) },
      { label: "field.status", value: (item) => [status("recount", item.status),
        item.reason ? h("small", { class: "muted" }, ` ${item.reason}`) : null] },
    ], mine.requests, { rowKey: (item) => item.id })),
    section("credits.certificate", h("p", {}, t("credits.certificateIntro")),
      h("button", { type: "button", class: "primary", id: "certificate", onclick: async () => {
        replace(certificateStatus);
        try {
          const response = await api("GET", "/students/me/certificate", { raw: true });
          download(await response.blob(), "certificate.pdf");
        } catch (error) {
          replace(certificateStatus, error.message);
        }
      } }, t("credits.download")), certificateStatus));
}

export default [
  { path: "projects", title: "nav.projects", render: projects },
  { path: "applications", title: "nav.applications", render: applications },
  { path: "hours", title: "nav.hours", render: hours },
  { path: "check-in", title: "nav.checkIn", render: studentCheckIn },
  { path: "payouts", title: "nav.payouts", render: payouts },
  { path: "credits", title: "nav.credits", render: credits },
  { path: "profile", title: "nav.profile", render: profile },
];
