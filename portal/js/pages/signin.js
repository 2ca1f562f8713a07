// Sign-in and registration by EDS: the API's challenge, signed by the person's own (individual's) key.
import { ApiError, post, reference, session } from "../api.js";
import { h, replace } from "../dom.js";
import { field, filled, form } from "../forms.js";
import { lang, localName, t } from "../i18n.js";
import { regionOptions } from "../components.js";
import { signedChallenge } from "../eds.js";

export function signInPage(main, signedIn) {
  const roleChoice = h("div", { class: "role-choice", id: "role-choice" });
  const status = h("p", { class: "form-status", role: "status" });

  const signIn = async (role) => {
    replace(status, t("signin.waiting"));
    status.classList.remove("error");
    try {
      const body = await signedChallenge("person");
      const token = await post("/auth/login", role ? { ...body, role } : body);
      session.set(token);
      signedIn();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.fields.role) {
        replace(status, t("signin.chooseRole"));
        replace(roleChoice, error.fields.role.map((choice) => h("button", { type: "button", class: "secondary",
          dataset: { role: choice }, onclick: () => signIn(choice) }, t(`role.${choice}`))));
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
      h("button", { type: "button", class: "primary", id: "eds-sign-in", onclick: () => signIn() }, t("signin.button")),
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
  const element = form({
    fields: [regionField, university,
      { name: "phone", label: t("field.phone"), type: "tel", placeholder: "+77011234567", autocomplete: "tel" },
      { name: "email", label: t("field.email"), type: "email", autocomplete: "email" },
      { name: "language", label: t("field.language"), type: "select", value: lang() === "en" ? "ru" : lang(),
        options: [["kk", "Қазақша"], ["ru", "Русский"], ["en", "English"]] }],
    submitLabel: t("register.button"),
    submit: async (values) => {
      const token = await post("/auth/register", { ...(await signedChallenge("person", values.language === "kk" ? "kk" : "ru")),
        ...filled(values) });
      session.set(token);
      signedIn();
    },
  });
  element.id = "register-form";
  container.append(element);
}
