// Forms whose fields show the API's `error.fields` next to themselves.
import { ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

// One labelled control. `spec`: {name, label, type, options: [[value, text]], value, required, ...}.
export function field(spec) {
  const id = `f-${spec.name.replace(/[^\w-]/g, "-")}-${Math.random().toString(36).slice(2, 7)}`;
  const errorId = `${id}-error`;
  const common = { id, name: spec.name, "aria-describedby": errorId, required: spec.required };
  let control;
  if (spec.type === "select") {
    control = h("select", common, spec.options.map(([value, text]) =>
      h("option", { value, selected: String(value) === String(spec.value ?? "") }, text)));
  } else if (spec.type === "textarea") {
    control = h("textarea", { ...common, rows: spec.rows || 3, placeholder: spec.placeholder }, spec.value ?? "");
  } else if (spec.type === "checkbox") {
    control = h("input", { ...common, type: "checkbox", checked: Boolean(spec.value) });
  } else {
    control = h("input", { ...common, type: spec.type || "text", value: spec.value ?? "", placeholder: spec.placeholder,
      min: spec.min, max: spec.max, step: spec.step, inputmode: spec.inputmode, autocomplete: spec.autocomplete });
  }
  const wrapper = h("div", { class: `field${spec.type === "checkbox" ? " field-check" : ""}`, dataset: { field: spec.name } },
    h("label", { for: id }, spec.label), control, h("p", { class: "field-error", id: errorId, role: "alert" }));
  if (spec.hint) wrapper.append(h("p", { class: "hint" }, spec.hint));
  return wrapper;
}

// A form: fields, a submit button and a place for errors that belong to no field.
// `submit(values)` may throw an ApiError; its fields are shown next to the matching controls.
export function form({ fields, submitLabel, submit, className = "", extra = [] }) {
  const status = h("p", { class: "form-status", role: "status" });
  const button = h("button", { type: "submit", class: "primary" }, submitLabel);
  const element = h("form", { class: `form ${className}`, novalidate: true },
    fields.map((spec) => (spec instanceof Node ? spec : field(spec))),
    h("div", { class: "form-actions" }, extra, button), status);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(element);
    button.disabled = true;
    try {
      await submit(values(element), element);
    } catch (error) {
      showError(element, error);
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

export function values(formElement) {
  const result = {};
  for (const control of formElement.querySelectorAll("input[name], select[name], textarea[name]")) {
    result[control.name] = control.type === "checkbox" ? control.checked : control.value.trim();
  }
  return result;
}

// Only the values that were filled in (the API's optional fields must be left out, not sent empty).
export function filled(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== "" && value !== null && value !== undefined));
}

export function clearErrors(element) {
  element.querySelectorAll(".field-error, .form-status").forEach((node) => replace(node));
  element.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
  element.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
}

// marshmallow nests errors ({"rows": {"0": {"hours": [...]}}}); the controls are named "rows.0.hours".
function flattenFields(fields, prefix = "") {
  const flat = {};
  for (const [key, value] of Object.entries(fields || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) flat[name] = value.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
    else if (value && typeof value === "object") Object.assign(flat, flattenFields(value, name));
    else flat[name] = [String(value)];
  }
  return flat;
}

export function showError(element, error) {
  const status = element.querySelector(".form-status");
  if (!(error instanceof ApiError)) {
    replace(status, error.message || String(error));
    status.classList.add("error");
    return;
  }
  const unplaced = [];
  for (const [name, messages] of Object.entries(flattenFields(error.fields))) {
    const wrapper = element.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrapper) {
      unplaced.push(`${name}: ${messages.join("; ")}`);
      continue;
    }
    wrapper.classList.add("invalid");
    wrapper.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
    replace(wrapper.querySelector(".field-error"), messages.join("; "));
  }
  replace(status, errorMessage(error), unplaced.length ? h("span", { class: "details" }, ` (${unplaced.join(", ")})`) : "");
  status.classList.add("error");
}

export function errorMessage(error) {
  const key = `error.${error.code}`;
  const words = t(key);
  return words === key ? error.message : `${words}: ${error.message}`;
}

export function succeeded(element, message) {
  const status = element.querySelector(".form-status");
  status.classList.remove("error");
  replace(status, message);
}
