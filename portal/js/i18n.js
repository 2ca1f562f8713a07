// Russian and Kazakh, English as the fallback for any missing word; one dictionary per language.
import en from "./lang/en.js";
import kk from "./lang/kk.js";
import ru from "./lang/ru.js";

const DICTIONARIES = { ru, kk, en };
export const LANGUAGES = [["kk", "Қазақша"], ["ru", "Русский"], ["en", "English"]];
const STORAGE_KEY = "sv.lang";
const LOCALES = { ru: "ru-RU", kk: "kk-KZ", en: "en-GB" };
const DATE = { day: "numeric", month: "long", year: "numeric" };
const listeners = [];

let current = initialLanguage();

function initialLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored in DICTIONARIES) return stored;
  const browser = (navigator.language || "ru").slice(0, 2);
  return browser in DICTIONARIES ? browser : "ru";
}

export function lang() {
  return current;
}

export function setLang(code) {
  if (!(code in DICTIONARIES) || code === current) return;
  current = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  listeners.forEach((listener) => listener(code));
}

export function onLangChange(listener) {
  listeners.push(listener);
}

export function t(key, params = {}) {
  const text = DICTIONARIES[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// A value from the API (a status, a kind) in words, or the value itself when there are none.
export function term(group, value) {
  if (value === null || value === undefined || value === "") return "—";
  const key = `${group}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

// Reference data that carries its own names per language (directions: en/ru/kk; regions: name_en/name_ru).
export function localName(item) {
  if (!item) return "—";
  return item[current] ?? item[`name_${current}`] ?? item.en ?? item.name_en ?? item.name ?? item.code;
}

export function money(amount) {
  return `${new Intl.NumberFormat(LOCALES[current]).format(amount ?? 0)} ₸`;
}

export function number(value) {
  return new Intl.NumberFormat(LOCALES[current], { maximumFractionDigits: 2 }).format(Number(value ?? 0));
}

export function date(value) {
  if (!value) return "—";
  const parsed = value.length === 10 ? new Date(`${value}T00:00:00`) : new Date(value);
  return new Intl.DateTimeFormat(LOCALES[current], DATE).format(parsed);
}

export function dateTime(value) {
  if (!value) return "—";
  return new Intl.DateTimeFormat(LOCALES[current], { ...DATE, hour: "2-digit", minute: "2-digit" })
    .format(new Date(value));
}
