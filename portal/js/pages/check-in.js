// Check-in at the site with its code: the student scans the QR code at the door (or types its short
// code); the coordinator's screen shows the code, renewed every window, prints a day's codes, and
// approves the day's check-ins at once.
import { ApiError, get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { form, showError } from "../forms.js";
import { date, dateTime, t, term, time, today } from "../i18n.js";
import { actionButton, notice, status, table } from "../components.js";

const SCAN_EVERY_MS = 250;
const RETRY_MS = 5000;

function svgSource(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function spaced(shortCode) {
  return `${shortCode.slice(0, 3)} ${shortCode.slice(3)}`;
}

// The student's page: where they stand (checked in or not), the camera where the browser reads QR
// codes itself (BarcodeDetector), and the short code to type everywhere.
export async function studentCheckIn(container, done = null) {
  // today's check-in still open (one left open on an earlier day never becomes hours)
  const open = (await get("/attendance", { status: "open", work_date: today(), limit: 1 })).items[0];
  const action = open ? "check_out" : "check_in";
  const codeForm = form({
    fields: [{ name: "code", label: t("checkIn.code"), placeholder: "ABC 234", autocomplete: "off",
      hint: t("checkIn.codeHint") }],
    submitLabel: t(open ? "checkIn.out" : "checkIn.in"),
    submit: async (values) => {
      const attendance = await post("/attendance/by-code", { code: values.code, action });
      await studentCheckIn(container, attendance);
    },
  });
  codeForm.id = "check-in-form";
  replace(container,
    done ? notice(done.status === "open" ? t("checkIn.doneIn", { at: time(done.checked_in_at) })
      : t("checkIn.doneOut", { from: time(done.checked_in_at), to: time(done.checked_out_at) }), "success") : null,
    open ? notice(t("checkIn.since", { at: dateTime(open.checked_in_at) })) : h("p", {}, t("checkIn.intro")),
    scanner(codeForm), codeForm);
}

function scanner(codeForm) {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return null;
  const video = h("video", { class: "scanner", playsinline: true, muted: true, hidden: true });
  const start = async () => {
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      const stop = () => stream.getTracks().forEach((track) => track.stop());
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const look = async () => {
        if (!video.isConnected) return stop(); // the page moved on
        const found = (await detector.detect(video).catch(() => [])).find((code) => code.rawValue.startsWith("SV1."));
        if (!found) return setTimeout(look, SCAN_EVERY_MS);
        stop();
        video.hidden = true;
        codeForm.querySelector("[name=code]").value = found.rawValue;
        codeForm.requestSubmit();
        return null;
      };
      look();
    } catch (error) {
      showError(codeForm, new Error(t("checkIn.noCamera")));
    }
  };
  return h("div", { class: "scan" }, h("button", { type: "button", class: "primary", id: "scan", onclick: start },
    t("checkIn.scan")), video);
}

// The coordinator's screen at the door: the QR code and its short code, fetched again when its window ends.
export async function checkInScreen(container) {
  const qr = h("img", { id: "check-in-qr", alt: t("checkIn.qrAlt") });
  const shortCode = h("p", { class: "short-code", id: "check-in-short" });
  const until = h("p", { class: "muted", id: "check-in-until" });
  const screen = h("div", { class: "check-in-screen" }, h("p", { class: "lead" }, t("checkIn.screenIntro")), qr,
    h("p", {}, t("checkIn.orType")), shortCode, until);
  replace(container, screen, h("div", { class: "row-actions" },
    h("button", { type: "button", class: "secondary", onclick: () => screen.requestFullscreen?.() },
      t("checkIn.fullScreen")),
    h("a", { href: "#/check-ins", class: "button" }, t("checkIn.approveLink"))));
  const show = async () => {
    if (!qr.isConnected) return; // another page is shown: stop renewing
    let wait = RETRY_MS;
    try {
      const current = await get("/attendance/code");
      qr.src = svgSource(current.qr_svg);
      shortCode.textContent = spaced(current.short_code);
      shortCode.dataset.code = current.short_code;
      until.textContent = t("checkIn.until", { at: time(current.valid_until) });
      wait = Math.min(current.window_seconds * 1000, Math.max(500, new Date(current.valid_until) - Date.now() + 200));
    } catch (error) {
      until.textContent = error.message;
    }
    setTimeout(show, wait);
  };
  await show();
}

// The day's check-ins, approved (or declined) at once: each row shows its own result.
export async function checkIns(container) {
  const day = h("input", { type: "date", name: "work_date", value: today(), max: today(), onchange: () => load() });
  const list = h("div", { id: "check-ins" });
  const sheetArea = h("div", { id: "code-sheet" });
  const load = async () => {
    const items = (await get("/attendance", { work_date: day.value, limit: 200 })).items;
    const awaiting = items.filter((item) => item.status === "awaiting");
    const summary = h("p", { id: "check-ins-summary", role: "status" });
    const decide = async (approve) => {
      const chosen = [...list.querySelectorAll("input[name=attendance]:checked")].map((box) => box.value);
      if (!chosen.length) return;
      const rows = chosen.map((id) => ({ attendance_id: id, approve }));
      const answer = await post("/attendance/decisions", { rows });
      await load();
      replace(list.querySelector("#check-ins-summary"), notice(t("checkIn.decided",
        { decided: answer.decided, refused: answer.refused }), answer.refused ? "warning" : "success"));
      answer.results.filter((result) => result.error).forEach((result) => {
        const row = list.querySelector(`tr[data-id="${result.attendance_id}"]`);
        row?.classList.add("refused");
        row?.append(h("td", { class: "field-error", role: "alert" }, result.error.message));
      });
    };
    replace(list, summary, table([
      { label: "field.student", value: (item) => [item.status === "awaiting"
        ? h("input", { type: "checkbox", name: "attendance", value: item.id, checked: true,
          "aria-label": item.student_name }) : null, " ", item.student_name] },
      { label: "checkIn.in",
        value: (item) => `${time(item.checked_in_at)} ${term("checkInWith", item.checked_in_with)}` },
      { label: "checkIn.out", value: (item) => (item.checked_out_at
        ? `${time(item.checked_out_at)} ${term("checkInWith", item.checked_out_with)}` : "—") },
      { label: "field.status", value: (item) => status("attendanceStatus", item.status) },
    ], items, { rowKey: (item) => item.id, empty: "checkIn.none" }),
    awaiting.length ? h("div", { class: "row-actions" },
      actionButton(t("checkIn.approve"), () => decide(true), { className: "primary", id: "approve-check-ins" }),
      actionButton(t("checkIn.decline"), () => decide(false), { className: "secondary", id: "decline-check-ins" }))
      : null);
  };
  replace(container, h("label", { class: "filter" }, t("field.date"), " ", day), list,
    h("button", { type: "button", class: "secondary", id: "show-code-sheet",
      onclick: () => codeSheet(sheetArea, day.value) }, t("checkIn.sheet")), sheetArea);
  await load();
}

// A day's codes to print and pin at the door, each good for its own hour (and the hour after it).
async function codeSheet(area, day) {
  try {
    const sheet = await get("/attendance/code-sheet", { date: day });
    replace(area, h("p", {}, t("checkIn.sheetIntro", { date: date(sheet.date), minutes: sheet.window_seconds / 60 })),
      h("button", { type: "button", class: "primary", onclick: () => window.print() }, t("checkIn.print")),
      h("div", { class: "code-sheet" }, sheet.codes.map((code) => h("figure", { class: "printed-code" },
        h("img", { src: svgSource(code.qr_svg), alt: code.short_code }),
        h("figcaption", {}, `${time(code.valid_from)}–${time(code.valid_until)}`,
          h("strong", {}, spaced(code.short_code)))))));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    replace(area, notice(error.message, "error"));
  }
}
