// An organisation applies for accreditation, with its first site, signed by its representative's
// legal-entity EDS key (the first head's or an employee's with signing right); public, before any account.
import { post } from "../api.js";
import { directionOptions, regionOptions } from "../components.js";
import { h, replace } from "../dom.js";
import { filled, form } from "../forms.js";
import { t, term } from "../i18n.js";
import { signedChallenge } from "../eds.js";

const KINDS = ["school", "kindergarten", "care_home", "centre", "ngo", "hospital", "other"];

export async function applyPage(main) {
  const card = h("section", { class: "card", id: "apply" }, h("h1", {}, t("apply.title")),
    h("p", { class: "muted" }, t("apply.intro")));
  replace(main, h("div", { class: "signin" }, card,
    h("p", {}, h("a", { href: "#/", id: "to-sign-in" }, t("apply.back")))));
  const [regions, directions] = await Promise.all([regionOptions("register.chooseRegion"),
    directionOptions("apply.chooseDirection")]);
  const element = form({
    fields: [
      { name: "bin", label: t("field.bin"), inputmode: "numeric", placeholder: "123456789012" },
      { name: "name", label: t("field.organisation") },
      { name: "kind", label: t("field.kind"), type: "select", options: KINDS.map((kind) => [kind, term("kind", kind)]) },
      { name: "region", label: t("field.region"), type: "select", options: regions },
      { name: "address", label: t("field.address"), autocomplete: "street-address" },
      { name: "phone", label: t("field.phone"), type: "tel", placeholder: "+77172000000", autocomplete: "tel" },
      { name: "email", label: t("field.email"), type: "email", autocomplete: "email" },
      h("h2", {}, t("apply.site")),
      { name: "sites.0.name", label: t("apply.siteName") },
      { name: "sites.0.city", label: t("apply.city") },
      { name: "sites.0.address", label: t("field.address") },
      { name: "sites.0.directions", label: t("field.direction"), type: "select", options: directions },
      { name: "sites.0.online", label: t("apply.online"), type: "checkbox" },
    ],
    submitLabel: t("apply.button"),
    submit: async (values) => {
      const site = { name: values["sites.0.name"], city: values["sites.0.city"], address: values["sites.0.address"],
        directions: values["sites.0.directions"] ? [values["sites.0.directions"]] : [], online: values["sites.0.online"] };
      const organisation = filled({ bin: values.bin, name: values.name, kind: values.kind, region: values.region,
        address: values.address, phone: values.phone, email: values.email });
      const applied = await post("/organisations",
        { ...(await signedChallenge("organisation")), ...organisation, sites: [site] });
      replace(card, h("h1", {}, t("apply.title")), h("p", { class: "notice", id: "applied", role: "status",
        dataset: { id: applied.id } }, t("apply.sent", { name: applied.name, status: term("organisation", applied.status) })));
    },
  });
  element.id = "apply-form";
  card.append(element);
}
