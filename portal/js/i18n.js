// Russian and Kazakh, English as the fallback for any missing word; one dictionary per language.
import en from "./lang/en.js";
import kk from "./lang/kk.js";
import ru from "./lang/ru.js";

const DICTIONARIES = { ru, kk, en };
export const LANGUAGES = [["kk", "Қазақша"], ["ru", "Русский"], ["en", "English"]];
const STORAGE_KEY = "sv.lang";
const LOCALES = { ru: "ru-RU", kk: "kk-KZ", en: "en-GB" };
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

// Dates and times as a person in Kazakhstan reads them: in Asia/Almaty whatever the computer's zone, and
// spelled out here, since browsers' Kazakh locale data is incomplete ("2026 M12 2" instead of a month's name).
const TIME_ZONE = "Asia/Almaty";
const MONTHS = {
  ru: ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"],
  kk: ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December"],
};
const PARTS = new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, year: "numeric", month: "numeric",
  day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

// {year, month (1-12), day, hour, minute} of an instant in Almaty, or of a calendar date as it is.
function almaty(value) {
  if (value.length === 10) {
    const [year, month, day] = value.split("-").map(Number);
    return { year, month, day };
  }
  const parts = Object.fromEntries(PARTS.formatToParts(new Date(value)).map((part) => [part.type, part.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: parts.hour,
    minute: parts.minute };
}

// Today in Asia/Almaty as YYYY-MM-DD: the platform's work dates are Almaty's, so "today's check-in" is
// the same day for the browser as for the platform, whatever the computer's zone.
export function today() {
  const { year, month, day } = almaty(new Date().toISOString());
  return [year, month, day].map((part) => String(part).padStart(2, "0")).join("-");
}

function spelled({ year, month, day }) {
  const name = MONTHS[current][month - 1];
  if (current === "kk") return `${year} жылғы ${day} ${name}`;
  if (current === "ru") return `${day} ${name} ${year} г.`;
  return `${day} ${name} ${year}`;
}

export function date(value) {
  if (!value) return "—";
  return spelled(almaty(value));
}

export function dateTime(value) {
  if (!value) return "—";
  const parts = almaty(value);
  return `${spelled(parts)}, ${parts.hour}:${parts.minute}`;
}

export function time(value) {
  if (!value) return "—";
  const parts = almaty(value);
  return `${parts.hour}:${parts.minute}`;
}
