// The API client: one fetch wrapper that turns every failure, the API's
// JSON errors and a network that never answered alike, into an ApiError
// with a message a person can read.
import config from "../config.js";

const base = String(config.apiBase || "").replace(/\/+$/, "");

/** apiURL is the absolute or same-origin URL of an API path. */
export function apiURL(path) {
  return base + path;
}

/** ApiError is a failed call: status 0 means the server was not reached. */
export class ApiError extends Error {
  constructor(status, message, details = [], retryAfter = 0) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    // details: [{field, message}] from a 400, one entry per broken rule.
    this.details = Array.isArray(details) ? details : [];
    this.retryAfter = retryAfter;
  }
}

/**
 * request calls the API and resolves to {status, data, etag}.
 * options: body (sent as JSON), token (Bearer), ifMatch, signal.
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      cache: "no-store",
      credentials: "omit",
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "Could not reach the server. Check your connection and try again.");
  }
  let data = null;
  const text = await response.text().catch(() => "");
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    let message = data && typeof data.message === "string" && data.message
      ? data.message
      : `The server answered ${response.status} ${response.statusText || ""}`.trim() + ".";
    if (response.status === 429 && retryAfter > 0) {
      message += ` Try again in ${retryAfter} s.`;
    }
    throw new ApiError(response.status, message, data && data.details, retryAfter);
  }
  return { status: response.status, data, etag: response.headers.get("ETag") };
}

/** query builds "?a=1&b=2" from the entries whose value is not empty. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
