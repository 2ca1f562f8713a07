// The portal's shell: the header (language, notifications, who is signed in), each role's sections
// and a hash router (#/section), so the gateway serves one page and the API does the rest.
import { post, session, whenSignedOut } from "./api.js";
import { h, replace } from "./dom.js";
import { errorMessage } from "./forms.js";
import { LANGUAGES, lang, onLangChange, setLang, t } from "./i18n.js";
import { startDemoMode } from "./demo.js";
import { notificationsBell } from "./notifications.js";
import { applyPage } from "./pages/apply.js";
import coordinator from "./pages/coordinator.js";
import ministry from "./pages/ministry.js";
import officer from "./pages/officer.js";
import operator from "./pages/operator.js";
import registrar from "./pages/registrar.js";
import { signInPage } from "./pages/signin.js";
import student from "./pages/student.js";
import { NCALayerSigner, useSigner } from "./signer.js";

// Each role's sections: [{path, title (i18n key), render(container)}], the first is the landing one.
const SECTIONS = {
  student,
  coordinator,
  mio_officer: officer,
  nvs_officer: officer,
  operator,
  registrar,
  ministry,
};

// Another signing tool than NCALayer, or NCALayer at another address, can be plugged in by a script of the
// same origin: `StudentVoucher.useSigner(new StudentVoucher.NCALayerSigner("wss://…"))`.
window.StudentVoucher = Object.freeze({ useSigner, NCALayerSigner });

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const tools = document.getElementById("tools");
let rendering = 0;

function currentPath() {
  return location.hash.replace(/^#\/?/, "");
}

function languageSwitcher() {
  return h("label", { class: "lang" }, h("span", { class: "sr-only" }, t("app.language")),
    h("select", { id: "lang", onchange: (event) => setLang(event.target.value) },
      LANGUAGES.map(([code, name]) => h("option", { value: code, selected: code === lang() }, name))));
}

function renderTools(current) {
  replace(tools, languageSwitcher());
  if (!current) return;
  tools.append(notificationsBell(),
    h("span", { class: "who", title: t(`role.${current.role}`) }, h("span", { class: "who-name" }, current.name),
      h("span", { class: "who-role" }, t(`role.${current.role}`))),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: signOut }, t("app.signOut")));
}

function renderNav(sections, active) {
  replace(nav, sections.map((section) => h("a", {
    href: `#/${section.path}`, class: section === active ? "active" : "", "aria-current": section === active ? "page" : null,
  }, t(section.title))));
}

// To the landing section: a change of hash renders by itself, the same hash needs a render.
function toLanding() {
  if (location.hash === "#/") render();
  else location.hash = "#/";
}

function signOut() {
  post("/auth/sign-out").catch(() => {}); // revokes the refresh tokens; the access token ends on its own
  session.clear();
  toLanding();
}

export async function render() {
  const ticket = ++rendering;
  document.getElementById("brand-name").textContent = t("app.title");
  document.title = t("app.title");
  const current = session.get();
  renderTools(current);
  if (!current) {
    replace(nav);
    if (currentPath() === "apply") await applyPage(main);
    else signInPage(main, toLanding);
    return;
  }
  const sections = SECTIONS[current.role] || [];
  if (!sections.length) {
    replace(nav);
    replace(main, h("p", { class: "notice" }, t("app.noSections")));
    return;
  }
  const active = sections.find((section) => section.path === currentPath()) || sections[0];
  renderNav(sections, active);
  const container = h("section", { class: "page", dataset: { page: active.path } });
  replace(main, h("h1", {}, t(active.title)), container);
  try {
    await active.render(container);
  } catch (error) {
    if (ticket === rendering) container.append(h("p", { class: "notice error" }, errorMessage(error)));
  }
}

whenSignedOut(() => render());
onLangChange(() => render());
window.addEventListener("hashchange", () => render());
document.documentElement.lang = lang();
// Demo mode first, so its signer is the one a sign-in uses (another signer plugs in once body[data-ready]).
startDemoMode().catch(() => false).then((drawBanner) => {
  if (drawBanner) onLangChange(drawBanner);
  document.body.dataset.ready = drawBanner ? "demo" : "yes";
  render();
});
