// The Operator (the Financial Centre): completion reports to review, payouts with the bank's statuses,
// failures, returns and their retries, the day's batch, the bank's files and statements, the ledger and
// reconciliation with the bank.
import { api, get, post } from "../api.js";
import { download, h, replace } from "../dom.js";
import { form, succeeded } from "../forms.js";
import { date, dateTime, money, number, t, term } from "../i18n.js";
import { actionButton, directionNames, notice, pagedList, regionNames, section, status, table } from "../components.js";

const RISK_FLAGS = ["few_logging_days", "same_minute", "corrected_after_dispute", "same_surname", "minimum_time_site"];

async function reports(container) {
  const list = h("div", { id: "report-queue" });
  const filter = h("select", { id: "report-status", onchange: () => load() },
    ["submitted", "accepted", "rejected"].map((value) => h("option", { value }, term("report", value))));
  // Risk flags: any, flagged, unflagged, or one flag; flagged reports are reviewed one by one.
  const flags = h("select", { id: "report-flags", onchange: () => load() },
    [["", t("filter.any")], ["true", t("report.flagged")], ["false", t("report.unflagged")],
      ...RISK_FLAGS.map((code) => [code, term("riskFlag", code)])]
      .map(([value, text]) => h("option", { value }, text)));
  const flagQuery = () => (RISK_FLAGS.includes(flags.value) ? { flag: flags.value } : { flagged: flags.value });
  const outcome = h("div", { id: "bulk-outcome" });
  const directions = await directionNames();
  const regions = await regionNames();
  let shown = [];
  const load = () => pagedList(list, (offset) => get("/reports", {
    status: filter.value, ...flagQuery(), sort: "flags", limit: 20, offset }),
  (items) => {
    shown = items;
    return table([
      { label: "field.student", value: (item) => item.student_name },
      { label: "field.site", value: (item) => [item.organisation_name, h("br"), h("small", { class: "muted" },
        `${item.site_name} · ${regions[item.region] || item.region}`)] },
      { label: "field.project", value: (item) => [item.project_title, h("br"), h("small", { class: "muted" },
        directions[item.direction] || item.direction)] },
      { label: "field.hours", value: (item) => `${number(item.hours)} / ${item.hours_required}` },
      { label: "field.submitted", value: (item) => dateTime(item.submitted_at) },
      { label: "field.status", value: (item) => [status("report", item.status),
        item.reason ? h("small", { class: "muted" }, ` ${item.reason}`) : null] },
      { label: "report.flags", value: (item) => h("ul", { class: "flags" },
        (item.flags || []).map((flag) => h("li", { "data-flag": flag.code }, flag.reason)),
        item.sampled ? h("li", { "data-flag": "sampled" }, t("report.sampled")) : null) },
      { label: "common.actions", value: (item) => reviewActions(item, load) },
    ], items, { rowKey: (item) => item.id, empty: "report.none" });
  });
  // Accepts the routine reports on screen in one request; the answer counts the refused rows.
  const acceptShown = actionButton(t("report.acceptUnflagged"), async () => {
    const ids = shown.filter((item) => item.status === "submitted" && !item.flags.length && !item.sampled)
      .map((item) => item.id);
    if (!ids.length) return replace(outcome, notice(t("report.noneUnflagged")));
    const answer = await post("/reports/reviews", { report_ids: ids });
    replace(outcome, notice(t("report.bulkAccepted", { accepted: answer.accepted, refused: answer.refused })));
    await load();
  }, { className: "primary", id: "accept-unflagged" });
  replace(container, h("label", { class: "filter" }, t("field.status"), " ", filter),
    h("label", { class: "filter" }, t("report.flags"), " ", flags), acceptShown, outcome, list);
  await load();
}

function reviewActions(report, reload) {
  const area = h("div", {});
  const pdf = actionButton(t("report.pdf"), async () => {
    const response = await api("GET", `/reports/${report.id}/pdf`, { raw: true });
    download(await response.blob(), `report-${report.id}.pdf`);
  });
  if (report.status !== "submitted") return pdf;
  return h("div", { class: "row-actions" },
    actionButton(t("report.accept"), async () => {
      await post(`/reports/${report.id}/review`, { decision: "accept" });
      await reload();
    }, { className: "primary accept" }),
    h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
      fields: [{ name: "reason", label: t("field.reason"), type: "textarea" }],
      submitLabel: t("report.reject"),
      submit: async (values) => {
        await post(`/reports/${report.id}/review`, { decision: "reject", reason: values.reason || undefined });
        await reload();
      },
    })) }, t("report.reject")),
    h("button", { type: "button", class: "link", onclick: () => showEntries(report, area) }, t("report.entries")),
    pdf, area);
}

async function showEntries(report, area) {
  const detail = await get(`/reports/${report.id}`);
  replace(area, table([
    { label: "field.date", value: (entry) => date(entry.work_date) },
    { label: "field.hours", value: (entry) => number(entry.hours) },
    { label: "field.note", value: (entry) => entry.reason || entry.note },
    { label: "field.status", value: (entry) => status("entry", entry.status) },
  ], detail.entries));
}

async function payouts(container) {
  const list = h("div", { id: "payouts" });
  const filter = h("select", { id: "payout-status", onchange: () => load() },
    [["", t("filter.any")], ...["failed", "returned", "awaiting_details", "ready", "sending", "sent", "paid"]
      .map((value) => [value, term("payout", value)])].map(([value, text]) => h("option", { value }, text)));
  const load = () => pagedList(list, (offset) => get("/payouts", { status: filter.value, limit: 50, offset }),
    (items) => table([
      { label: "field.student", value: (item) => item.student_name },
      { label: "field.voucher", value: (item) => term("voucherKind", item.voucher_kind) },
      { label: "field.amount", value: (item) => money(item.amount_kzt) },
      { label: "field.status", value: (item) => [status("payout", item.status),
        item.reason ? h("small", { class: "muted" }, ` ${item.reason}`) : null,
        item.student_must_act ? h("small", { class: "muted" }, ` ${t("payout.waitsForStudent")}`) : null] },
      { label: "field.bankStatus", value: (item) => [item.bank_status || "—",
        item.file_id ? h("small", { class: "muted" }, ` ${item.file_id}`) : null] },
      { label: "field.date", value: (item) => dateTime(item.returned_at || item.failed_at || item.paid_at || item.sent_at || item.created_at) },
      { label: "common.actions", value: (item) => (["failed", "returned"].includes(item.status) ? actionButton(t("payout.retry"), async () => {
        await post(`/payouts/${item.id}/retry`);
        await load();
      }, { className: "primary retry" }) : "") },
    ], items, { rowKey: (item) => item.id }));
  const batch = form({
    fields: [{ name: "day", label: t("field.date"), type: "date" }],
    submitLabel: t("payout.sendBatch"),
    submit: async (values, element) => {
      const sent = await post("/payout-batches", values.day ? { day: values.day } : {});
      succeeded(element, t("payout.batchSent", { payouts: sent.payouts, amount: money(sent.amount_kzt),
        accepted: sent.accepted, refused: sent.refused }));
      await load();
    },
  });
  replace(container, section("payout.batch", batch),
    section("payout.all", h("label", { class: "filter" }, t("field.status"), " ", filter), list));
  await load();
}

async function reconciliation(container) {
  const result = h("div", { id: "reconciliation" });
  const ledgerArea = h("div", { id: "ledger" });
  const showLedger = async () => {
    const ledger = await get("/ledger");
    replace(ledgerArea, h("p", {}, ledger.balanced ? status("ledger", "balanced") : status("ledger", "unbalanced"),
      ` ${t("ledger.debits")}: ${money(ledger.debits_kzt)} · ${t("ledger.credits")}: ${money(ledger.credits_kzt)}`),
    table([{ label: "ledger.account", value: ([name]) => term("account", name) }, { label: "field.amount", value: ([, amount]) => money(amount) }],
      Object.entries(ledger.accounts)));
  };
  const bankArea = h("div", { id: "bank" });
  const problems = (list) => (list.length ? h("ul", {}, list.map((item) =>
    h("li", {}, typeof item === "string" ? item : `${term("mismatch", item.kind)}: ${item.key} ${money(item.bank_amount ?? item.amount ?? 0)}`)))
    : status("statement", "clean"));
  const loadBank = async () => {
    const bank = await get("/bank");
    replace(bankArea,
      bank.silent_files.length ? notice(t("bank.silent", { files: bank.silent_files.join(", ") }), "warning") : null,
      bank.statement_overdue ? notice(t("bank.overdue", { day: bank.statement_overdue }), "warning") : null,
      h("h3", {}, t("bank.statements")),
      table([
        { label: "field.date", value: (row) => row.day },
        { label: "bank.entries", value: (row) => String(row.entries.length) },
        { label: "ledger.debits", value: (row) => money(row.debits_kzt) },
        { label: "ledger.credits", value: (row) => money(row.credits_kzt) },
        { label: "field.status", value: (row) => problems(row.problems) },
      ], bank.statements, { rowKey: (row) => row.id }),
      h("h3", {}, t("bank.files")),
      table([
        { label: "bank.file", value: (row) => row.id },
        { label: "field.status", value: (row) => [term("bankFile", row.status), row.group_status ? ` · ${row.group_status}` : ""] },
        { label: "nav.payouts", value: (row) => String(row.payouts) },
        { label: "field.amount", value: (row) => money(row.amount_kzt) },
        { label: "bank.problems", value: (row) => (row.problems.length ? problems(row.problems) : "—") },
      ], bank.files, { rowKey: (row) => row.id }));
  };
  await loadBank();
  replace(container, section("bank.title", bankArea), section("ledger.title", ledgerArea), section("reconcile.title",
    h("p", { class: "muted" }, t("reconcile.intro")),
    actionButton(t("reconcile.run"), async () => {
      const run = await post("/reconciliations");
      replace(result, notice(run.clean ? t("reconcile.clean", { checked: run.checked })
        : t("reconcile.mismatches", { count: run.mismatches.length }), run.clean ? "success" : "warning"),
      h("p", {}, `${t("reconcile.ledgerPaid")}: ${money(run.ledger_paid_kzt)} · ${t("reconcile.bankPaid")}: ${money(run.bank_paid_kzt)}`),
      run.mismatches.length ? table([
        { label: "field.key", value: (item) => item.key },
        { label: "field.kind", value: (item) => term("mismatch", item.kind) },
        { label: "field.amount", value: (item) => money(item.amount) },
        { label: "reconcile.bankAmount", value: (item) => money(item.bank_amount) },
      ], run.mismatches) : null);
      await showLedger();
    }, { className: "primary", id: "reconcile" }), result));
  await showLedger();
}

export default [
  { path: "reports", title: "nav.reportQueue", render: reports },
  { path: "payouts", title: "nav.allPayouts", render: payouts },
  { path: "reconciliation", title: "nav.reconciliation", render: reconciliation },
];
