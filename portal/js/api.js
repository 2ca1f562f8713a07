// The gateway's JSON API: the bearer token of the signed-in person, and errors as ApiError (in the page's
// language: the API answers errors in the language of Accept-Language). An access token lives 15 minutes:
// on a 401 the session is renewed once with its refresh token, then the call is made again; a refused
// renewal signs the person out.
import { lang } from "./i18n.js";

const SESSION_KEY = "sv.session";
const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.fields = error.fields || {};
  }
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(SESSION_KEY));
    } catch {
      return null;
    }
  },
  // What /auth/login, /auth/register and /auth/refresh answer: the tokens, roles, scope and name.
  set(token) {
    const value = { token: token.access_token, refresh: token.refresh_token, userId: token.user_id,
      roles: token.roles, scope: token.scope, name: token.name, role: token.roles[0] };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    return value;
  },
  clear() {
    sessionStorage.removeItem(SESSION_KEY);
  },
};

let onUnauthenticated = () => {};

export function whenSignedOut(handler) {
  onUnauthenticated = handler;
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  const search = params.toString();
  return API + path + (search ? `?${search}` : "");
}

// One renewal at a time, shared by the calls that met an expired token together.
let renewing = null;

function renewed(current) {
  if (!renewing) {
    renewing = fetch(url("/auth/refresh"), {
      method: "POST", headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh }),
    }).then(async (response) => (response.ok ? session.set(await response.json()) : null))
      .catch(() => null)
      .finally(() => { renewing = null; });
  }
  return renewing;
}

// `raw` answers the fetch Response itself (for files); otherwise the parsed JSON body. A `contentType`
// sends `body` (a file) as it is instead of as JSON.
export async function api(method, path, { body, query, headers = {}, raw = false, contentType } = {}) {
  let current = session.get();
  const request = { method, headers: { Accept: "application/json", "Accept-Language": lang(), ...headers } };
  if (contentType) {
    request.headers["Content-Type"] = contentType;
    request.body = body;
  } else if (body !== undefined) {
    request.headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(body);
  }
  const send = () => {
    if (current) request.headers.Authorization = `Bearer ${current.token}`;
    return fetch(url(path, query), request);
  };
  let response = await send();
  if (response.status === 401 && current && current.refresh) {
    current = await renewed(current);
    if (current) response = await send();
  }
  if (response.status === 401 && session.get()) {
    session.clear();
    onUnauthenticated();
  }
  if (!response.ok) {
    const text = await response.text();
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    throw new ApiError(response.status, parsed);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export const get = (path, query) => api("GET", path, { query });
export const post = (path, body, options = {}) => api("POST", path, { body: body ?? {}, ...options });

// Reference data, asked once per page load.
const cache = new Map();
export function reference(path) {
  if (!cache.has(path)) cache.set(path, get(path).catch((error) => {
    cache.delete(path);
    throw error;
  }));
  return cache.get(path);
}
