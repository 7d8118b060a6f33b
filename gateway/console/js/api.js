// The one way the console talks to the gateway: /api/v1, JSON, a Bearer token kept in
// sessionStorage (gone when the tab closes). Every failure becomes an ApiError carrying the
// gateway's {error, message, details} so pages can put each reason beside its field.
import { setLabels } from "./i18n.js";

const BASE = "/api/v1";
const TOKEN_KEY = "ronghe.token";
const ROLE_KEY = "ronghe.role";
const VOLUNTEER_KEY = "ronghe.volunteer";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? "NETWORK" : "ERROR");
    this.details = (body && body.details) || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get role() { return sessionStorage.getItem(ROLE_KEY); },
  get volunteerId() { return sessionStorage.getItem(VOLUNTEER_KEY); },
  save(token, role) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ROLE_KEY, role || "");
  },
  clear() { [TOKEN_KEY, ROLE_KEY, VOLUNTEER_KEY].forEach((k) => sessionStorage.removeItem(k)); },
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

// One Idempotency-Key per submission. A write that got no answer (a network error, a
// 503, its first attempt still running) keeps its key, so retrying that same submission
// (same method, path and body) sends the key again and the gateway answers with the first
// result instead of writing twice; any answer ends the submission. Kept in memory only:
// a body may hold a resident's phone number.
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const pendingKeys = new Map();

function newIdempotencyKey() {
  // getRandomValues, not randomUUID: the console may be served over plain HTTP.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unanswered(status, code) {
  return status === 0 || status >= 500 || code === "IDEMPOTENCY_KEY_IN_PROGRESS";
}

async function raw(method, path, { params, body, form, formTag } = {}) {
  // The API's messages in Chinese, whatever language the browser prefers.
  const headers = { Accept: "application/json", "Accept-Language": "zh-CN" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (form !== undefined) {
    init.body = form; // multipart/form-data: the browser writes the Content-Type
  }
  let submission = null;
  if (WRITES.has(method) && path !== "/auth/login") {
    // A form (a file) is one submission by what it sends: formTag names it.
    submission = `${method} ${path}${query(params)}\n${form !== undefined ? formTag : (init.body || "")}`;
    if (!pendingKeys.has(submission)) pendingKeys.set(submission, newIdempotencyKey());
    headers["Idempotency-Key"] = pendingKeys.get(submission);
  }
  let response;
  try {
    response = await fetch(BASE + path + query(params), init);
  } catch (err) {
    throw new ApiError(0, { error: "NETWORK", message: String(err) });
  }
  if (response.ok && submission) pendingKeys.delete(submission);
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    const error = new ApiError(response.status, data);
    if (submission && !unanswered(error.status, error.code)) pendingKeys.delete(submission);
    if (response.status === 401 && path !== "/auth/login") onUnauthorized(error);
    throw error;
  }
  return response;
}

export async function request(method, path, options) {
  const response = await raw(method, path, options);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const api = {
  get: (path, params) => request("GET", path, { params }),
  post: (path, body = {}, params) => request("POST", path, { body, params }),
  patch: (path, body = {}) => request("PATCH", path, { body }),
  del: (path, body) => request("DELETE", path, body === undefined ? {} : { body }),
};

/** Fetch a file with the token and hand it to the browser as a download. */
export async function download(path, params, fallbackName) {
  const response = await raw("GET", path, { params });
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  let name = fallbackName;
  const star = disposition.match(/filename\*=UTF-8''([^;]+)/i);
  const plain = disposition.match(/filename="?([^";]+)"?/i);
  if (star) name = decodeURIComponent(star[1]);
  else if (plain) name = plain[1];
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return { name, size: blob.size, type: blob.type };
}

/** Send a file (FormData with its "file" and fields) as multipart/form-data; a retry
 * of the same file (same tag: name, size, time) reuses its Idempotency-Key. */
export async function upload(path, formData, tag) {
  const response = await raw("POST", path, { form: formData, formTag: tag });
  return response.json();
}

/** A file the API serves to staff only: fetched with the token, as a Blob. */
export async function fetchBlob(path) {
  const response = await raw("GET", path);
  return response.blob();
}

export async function login(username, password) {
  const data = await api.post("/auth/login", { username, password });
  session.save(data.access_token, data.role);
  if (data.role === "volunteer") {
    const me = await api.get("/me");
    if (me.volunteer_id) sessionStorage.setItem(VOLUNTEER_KEY, String(me.volunteer_id));
  }
  return data;
}

let vocabCache = null;
/** GET /vocabularies → {name: {code: label}} (cached for the tab's life); also gives
 * i18n.js the labels (compoundName, skillNames, labelOf). */
export async function vocabularies() {
  if (!vocabCache) {
    const data = await api.get("/vocabularies");
    vocabCache = {};
    for (const [name, items] of Object.entries(data)) {
      vocabCache[name] = Object.fromEntries(items.map((i) => [i.code, i.label]));
    }
    setLabels(vocabCache);
  }
  return vocabCache;
}
