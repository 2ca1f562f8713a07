// The bell: unread notifications (interviews, decisions, hours, reports, payouts, credits) and
// marking them read. It asks the API when the page changes and once a minute while it is open.
import { get, post } from "./api.js";
import { h, replace, svg } from "./dom.js";
import { dateTime, t } from "./i18n.js";

const REFRESH_MS = 60 * 1000;
let timer = null;

export function notificationsBell() {
  const badge = h("span", { class: "badge", id: "unread-count", hidden: true });
  const panel = h("div", { class: "bell-panel", id: "notifications", hidden: true });
  const button = h("button", { type: "button", class: "bell", id: "bell", "aria-haspopup": "true",
    "aria-label": t("notifications.title"), onclick: () => toggle(panel, badge) }, bellIcon(), badge);
  const wrapper = h("div", { class: "bell-wrap" }, button, panel);
  refresh(badge, panel);
  clearInterval(timer);
  timer = setInterval(() => document.contains(badge) && refresh(badge, panel), REFRESH_MS);
  return wrapper;
}

function bellIcon() {
  return svg("svg", { viewBox: "0 0 24 24", width: "22", height: "22", "aria-hidden": "true", class: "bell-icon" },
    svg("path", { d: "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z" }));
}

async function refresh(badge, panel) {
  let page;
  try {
    page = await get("/notifications", { limit: 20 });
  } catch {
    badge.hidden = true;
    return;
  }
  const unread = page.unread ?? page.items.filter((item) => !item.read_at).length;
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.hidden = unread === 0;
  renderPanel(panel, badge, page.items);
}

function renderPanel(panel, badge, items) {
  replace(panel, h("p", { class: "panel-title" }, t("notifications.title")),
    items.length ? h("ul", { class: "notification-list" }, items.map((item) => h("li", {
      class: item.read_at ? "read" : "unread", dataset: { id: item.id },
    }, h("strong", {}, item.title || item.subject || t(`event.${item.kind || item.event_type}`)),
    item.body ? h("p", {}, item.body) : null,
    h("small", {}, dateTime(item.created_at)),
    item.read_at ? null : h("button", { type: "button", class: "link", onclick: () => markRead(item, badge, panel) },
      t("notifications.markRead")))))
      : h("p", { class: "muted" }, t("notifications.none")));
}

async function markRead(item, badge, panel) {
  await post(`/notifications/${encodeURIComponent(item.id)}/read`);
  await refresh(badge, panel);
}

function toggle(panel, badge) {
  panel.hidden = !panel.hidden;
  if (!panel.hidden) refresh(badge, panel);
}
