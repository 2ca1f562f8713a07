// Sign-in and registration by EDS: the API's challenge, signed by the person's own (individual's) key, through
// NCALayer (or the demo signer) or eGov Mobile by QR.
import { ApiError, post, reference, session } from "../api.js";
import { h, replace } from "../dom.js";
import { field, filled, form } from "../forms.js";
import { lang, localName, t } from "../i18n.js";
import { regionOptions } from "../components.js";
import { signedChallenge } from "../eds.js";
import { mobileSigned, signedBody } from "../egov-mobile.js";

export function signInPage(main, signedIn) {
  const roleChoice = h("div", { class: "role-choice", id: "role-choice" });
  const status = h("p", { class: "form-status", role: "status" });

  // via: "egov" signs with eGov Mobile by QR; otherwise the portal's signer (NCALayer, the demo signer).
  // agreementLanguage: the student signs the accession agreement with this sign-in (see below).
  const signIn = async (role, via, agreementLanguage) => {
    replace(status, t(via === "egov" ? "egov.waiting" : "signin.waiting"));
    status.classList.remove("error");
    try {
      const body = via === "egov" ? signedBody(await mobileSigned("login"))
        : await signedChallenge("person", agreementLanguage);
      const token = await post("/auth/login", role ? { ...body, role } : body);
      session.set(token);
      signedIn();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.fields.role) {
        replace(status, t("signin.chooseRole"));
        replace(roleChoice, error.fields.role.map((choice) => h("button", { type: "button", class: "secondary",
          dataset: { role: choice }, onclick: () => signIn(choice, via) }, t(`role.${choice}`))));
        return;
      }
      if (error instanceof ApiError && error.status === 403 && error.fields.agreement_version) {
        // registered before the accession agreement existed: the student signs its current version first
        replace(status, t("signin.agreementNeeded", { version: error.fields.agreement_version[0] }));
        replace(roleChoice, h("button", { type: "button", class: "primary", id: "sign-agreement",
          onclick: () => signIn(role, "signer", lang() === "kk" ? "kk" : "ru") }, t("signin.signAgreement")));
        return;
      }
      status.classList.add("error");
      replace(status, error instanceof ApiError && error.status === 401 ? t("signin.noAccount") : error.message);
    }
  };

  const registration = h("div", { class: "card", id: "register" }, h("h2", {}, t("register.title")),
    h("p", { class: "muted" }, t("register.intro")));
  replace(main, h("div", { class: "signin" },
    h("section", { class: "card hero" }, h("h1", {}, t("signin.title")), h("p", {}, t("signin.intro")),
      h("ol", { class: "steps" }, ["step.register", "step.project", "step.interview", "step.work", "step.report",
        "step.payment", "step.credits"].map((key) => h("li", {}, t(key)))),
      h("div", { class: "form-actions" },
        h("button", { type: "button", class: "primary", id: "eds-sign-in", onclick: () => signIn() }, t("signin.button")),
        h("button", { type: "button", class: "secondary", id: "egov-sign-in", onclick: () => signIn(undefined, "egov") },
          t("egov.signIn"))),
      roleChoice, status, h("p", { class: "hint" }, t("signin.ncalayer")),
      h("p", {}, h("a", { href: "#/apply", id: "to-apply" }, t("signin.organisations")))),
    registration));
  registrationForm(registration, signedIn);
}

async function registrationForm(container, signedIn) {
  const regions = await regionOptions("register.chooseRegion");
  const university = field({ name: "university_id", label: t("field.university"), type: "select",
    options: [["", t("register.chooseRegionFirst")]] });
  const regionField = field({ name: "region", label: t("field.region"), type: "select", options: regions });
  regionField.querySelector("select").addEventListener("change", async (event) => {
    const universities = event.target.value
      ? await reference(`/universities?region=${encodeURIComponent(event.target.value)}`) : [];
    replace(university.querySelector("select"), h("option", { value: "" }, t("register.chooseUniversity")),
      universities.map((item) => h("option", { value: item.id }, localName(item))));
  });
  let via = "signer"; // or "egov": the eGov Mobile button submits the same form
  const egov = h("button", { type: "button", class: "secondary", id: "egov-register", onclick: () => {
    via = "egov";
    element.requestSubmit();
  } }, t("egov.register"));
  const element = form({
    fields: [regionField, university,
      { name: "phone", label: t("field.phone"), type: "tel", placeholder: "+77011234567", autocomplete: "tel" },
      { name: "email", label: t("field.email"), type: "email", autocomplete: "email" },
      { name: "language", label: t("field.language"), type: "select", value: lang() === "en" ? "ru" : lang(),
        options: [["kk", "Қазақша"], ["ru", "Русский"], ["en", "English"]] }],
    submitLabel: t("register.button"),
    extra: [egov],
    submit: async (values) => {
      const language = values.language === "kk" ? "kk" : "ru";
      const signing = via;
      via = "signer";
      const signed = signing === "egov" ? signedBody(await mobileSigned("register", { agreement_language: language }))
        : await signedChallenge("person", language);
      const token = await post("/auth/register", { ...signed, ...filled(values) });
      session.set(token);
      signedIn();
    },
  });
  element.id = "register-form";
  container.append(element);
}
