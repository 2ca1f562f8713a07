// Signing with eGov Mobile by QR, beside NCALayer and the demo signer: the API opens a signing session for one
// document (a sign-in, the accession agreement, a completion report) and draws its QR; the person scans it with
// eGov Mobile (on a phone: the button opens the app here), the app signs and sends the CMS back to the API. The
// page polls the session and answers it once signed: its `signature` (and a sign-in's `nonce`, the agreement's
// version and language) then go to /auth/login, /auth/register or /reports as NCALayer's signature does.
import { get, post } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

const POLL_MS = 1500;

// purpose: "login", "register" (fields: agreement_language) or "report" (fields: placement_id).
export async function mobileSigned(purpose, fields = {}) {
  const signing = await post("/egov-mobile/signings", { purpose, ...fields });
  return new Promise((resolve, reject) => {
    let open = true;
    const status = h("p", { class: "form-status", role: "status", id: "egov-status" }, t("egov.waiting"));
    const close = () => {
      open = false;
      dialog.remove();
    };
    const appLink = (href, label, id) => href && h("a", { class: "button primary egov-app-link", id, href }, label);
    const dialog = h("div", { class: "demo-dialog egov-dialog", id: "egov-mobile", role: "dialog", "aria-modal": "true" },
      h("div", { class: "card" }, h("h2", {}, t("egov.title")), h("p", { class: "muted" }, t("egov.scan")),
        // the SVG as an image: drawn by the API, shown without ever becoming markup of the page
        h("img", { class: "egov-qr", id: "egov-qr", alt: t("egov.qrAlt"), dataset: { content: signing.qr_content },
          src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(signing.qr_svg)}` }),
        h("div", { class: "form-actions" }, appLink(signing.app_link, t("egov.openApp"), "egov-app-link"),
          appLink(signing.business_app_link, t("egov.openBusiness"), "egov-business-link")),
        status,
        h("div", { class: "form-actions" }, h("button", { type: "button", class: "link", id: "egov-cancel", onclick: () => {
          close();
          reject(new Error(t("egov.cancelled")));
        } }, t("demo.cancel")))));
    document.body.append(dialog);
    const poll = async () => {
      if (!open) return;
      try {
        const state = await get(`/egov-mobile/signings/${signing.id}`);
        if (state.status === "signed") {
          close();
          resolve(state);
          return;
        }
        if (state.status === "expired") {
          close();
          reject(new Error(t("egov.expired")));
          return;
        }
      } catch {
        // a poll lost on a weak connection: the next one asks again
      }
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  });
}

// What a sign-in or registration sends after the app signed, as `signedChallenge` answers after NCALayer.
export function signedBody(state) {
  const agreement = state.agreement_version
    ? { agreement_version: state.agreement_version, agreement_language: state.agreement_language } : {};
  return { nonce: state.nonce, signature: state.signature, ...agreement };
}
