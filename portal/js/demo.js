// Demo mode (a local run only): a banner on every page, and a demo signer beside NCALayer behind the same
// `useSigner` interface. The person picks a demo person (or makes "a new demo student"); the gateway signs the
// challenge with that person's demo key, and the registry verifies the CMS as it verifies NCALayer's.
import { ApiError, get, post } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { NCALayerSigner, SignerError, useSigner } from "./signer.js";

export class DemoSigner {
  constructor(people, fallback = new NCALayerSigner()) {
    this.name = "demo";
    this.people = people;
    this.fallback = fallback;
  }

  // As NCALayer offers keys: an organisation's document (its application, a site's completion report) by
  // any of its legal-entity keys (a head's, an employee's); a person's signature by anyone but a head.
  candidates(purpose) {
    return this.people.filter((person) => (purpose === "organisation"
      ? person.certificate !== "individual" : person.certificate !== "head"));
  }

  sign(dataBase64, options = {}) {
    return new Promise((resolve, reject) => {
      const close = () => dialog.remove();
      const signAs = async (key) => {
        close();
        try {
          resolve((await post("/demo/sign", { person: key, data_base64: dataBase64 })).signature);
        } catch (error) {
          reject(new SignerError("refused", error.message));
        }
      };
      const newStudent = async () => {
        const person = await post("/demo/people");
        this.people.push(person);
        signAs(person.key);
      };
      const people = this.candidates(options.purpose || "person").map((person) => h("li", {},
        h("button", { type: "button", class: "link demo-person", dataset: { key: person.key, role: person.role },
          onclick: () => signAs(person.key) }, person.name),
        h("span", { class: "muted" }, ` — ${[t(`role.${person.role}`), person.organisation].filter(Boolean).join(", ")}`)));
      const dialog = h("div", { class: "demo-dialog", id: "demo-signer", role: "dialog", "aria-modal": "true" },
        h("div", { class: "card" }, h("h2", {}, t("demo.signerTitle")), h("p", { class: "muted" }, t("demo.signerIntro")),
          h("ul", { class: "demo-people" }, people),
          h("div", { class: "form-actions" },
            options.purpose === "organisation" ? null
              : h("button", { type: "button", class: "primary", id: "demo-new-student", onclick: newStudent },
                t("demo.newStudent")),
            h("button", { type: "button", class: "secondary", id: "demo-ncalayer", onclick: () => {
              close();
              this.fallback.sign(dataBase64, options).then(resolve, reject);
            } }, t("demo.useNcalayer")),
            h("button", { type: "button", class: "link", id: "demo-cancel", onclick: () => {
              close();
              reject(new SignerError("cancelled"));
            } }, t("demo.cancel")))));
      document.body.append(dialog);
    });
  }
}

// In demo mode: the banner, and the demo signer as the portal's signer. Elsewhere /demo/people is 404.
export async function startDemoMode() {
  let people;
  try {
    people = (await get("/demo/people")).items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
  const banner = h("div", { class: "demo-banner", id: "demo-banner", role: "note" });
  const draw = () => replace(banner, t("demo.banner"));
  draw();
  document.body.prepend(banner);
  useSigner(new DemoSigner(people));
  return draw;
}
