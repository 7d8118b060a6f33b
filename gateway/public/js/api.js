// The public site's one way to the gateway: /api/v1, JSON, no login. A failure becomes an
// ApiError with the gateway's {error, message, details}; a write carries one
// Idempotency-Key per submission, sent again when the same submission is retried after
// no answer, so a retried registration is never written twice. Kept in memory only.
const BASE = "/api/v1";
const pendingKeys = new Map();

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? "NETWORK" : "ERROR");
    this.details = (body && body.details) || {};
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function api(method, path, { params, body } = {}) {
  // The API's messages in Chinese, whatever language the browser prefers.
  const headers = { Accept: "application/json", "Accept-Language": "zh-CN" };
  const init = { method, headers };
  let submission = null;
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
    submission = `${method} ${path}\n${init.body}`;
    if (!pendingKeys.has(submission)) pendingKeys.set(submission, newKey());
    headers["Idempotency-Key"] = pendingKeys.get(submission);
  }
  let response;
  try {
    response = await fetch(BASE + path + query(params), init);
  } catch (err) {
    throw new ApiError(0, { message: "网络不通，请稍后重试" });
  }
  const data = await response.json().catch(() => null);
  if (submission && !(response.status >= 500 || data?.error === "IDEMPOTENCY_KEY_IN_PROGRESS")) {
    pendingKeys.delete(submission);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, params) => api("GET", path, { params });
export const post = (path, body) => api("POST", path, { body });
export const del = (path, body) => api("DELETE", path, { body });
