// MIO and NVS officers: the region's organisations awaiting accreditation, accredited or rejected.
import { get, post, session } from "../api.js";
import { h, replace } from "../dom.js";
import { form } from "../forms.js";
import { date, t, term } from "../i18n.js";
import { actionButton, directionNames, pagedList, status, table } from "../components.js";
import { dashboard } from "./ministry.js";

async function organisations(container) {
  const list = h("div", { id: "organisations" });
  const filter = h("select", { id: "organisation-status", onchange: () => load() },
    ["pending", "accredited", "rejected", "suspended"].map((value) => h("option", { value }, term("organisation", value))));
  const directions = await directionNames();
  const region = session.get().scope.region;
  const load = () => pagedList(list, (offset) => get("/organisations", { status: filter.value, region, limit: 20, offset }),
    (items) => table([
      { label: "field.organisation", value: (item) => [h("strong", {}, item.name), h("br"),
        h("small", { class: "muted" }, `${t("field.bin")} ${item.bin} · ${term("kind", item.kind)}`)] },
      { label: "field.address", value: (item) => item.address },
      { label: "field.sites", value: (item) => h("ul", { class: "plain" }, item.sites.map((site) => h("li", {},
        `${site.name}, ${site.city} — ${site.directions.map((code) => directions[code] || code).join(", ")}`))) },
      { label: "field.applied", value: (item) => date(item.created_at) },
      { label: "field.status", value: (item) => [status("organisation", item.status),
        item.reason ? h("small", { class: "muted" }, ` ${item.reason}`) : null] },
      { label: "common.actions", value: (item) => decisionActions(item, load) },
    ], items, { rowKey: (item) => item.id, empty: "organisation.none" }));
  replace(container, h("label", { class: "filter" }, t("field.status"), " ", filter), list);
  await load();
}

function decisionActions(organisation, reload) {
  const area = h("div", {});
  const withReason = (label, decision) => h("button", { type: "button", class: "secondary", onclick: () => replace(area, form({
    fields: [{ name: "reason", label: t("field.reason"), type: "textarea" }],
    submitLabel: label,
    submit: async (values) => {
      await post(`/organisations/${organisation.id}/${decision}`, values);
      await reload();
    },
  })) }, label);
  if (organisation.status === "pending") {
    return h("div", { class: "row-actions" },
      actionButton(t("organisation.accredit"), async () => {
        await post(`/organisations/${organisation.id}/accredit`);
        await reload();
      }, { className: "primary accredit" }),
      withReason(t("organisation.reject"), "reject"), area);
  }
  if (organisation.status === "accredited") return h("div", { class: "row-actions" }, withReason(t("organisation.suspend"), "suspend"), area);
  return "";
}

export default [
  { path: "organisations", title: "nav.organisations", render: organisations },
  { path: "coverage", title: "nav.dashboard", render: dashboard },
];
