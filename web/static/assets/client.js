// The signed-in session and the authenticated API calls made with it.
import { ApiError, request } from "./api.js";
import * as session from "./session.js";
import { el } from "./dom.js";

let current = null; // the session: {token, username, expiresAt}
let expiryTimer = 0;
const endListeners = [];

/** signedIn is the current session, or null. */
export function signedIn() {
  return current;
}

/** onSessionEnd registers fn(message, how), called when the session ends. */
export function onSessionEnd(fn) {
  endListeners.push(fn);
}

export function startSession(s) {
  current = s;
  clearTimeout(expiryTimer);
  // setTimeout's limit is ~24.8 days; tokens live hours.
  const wait = Math.min(Math.max(s.expiresAt - Date.now(), 0), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => endSession("Your session has expired. Please log in again."), wait);
  el.whoami.textContent = s.username;
  el.passwordForm.elements.namedItem("username").value = s.username;
}

/**
 * endSession forgets the token and tells the listeners (back to login);
 * how.leaving says the user logged out rather than the session ending.
 */
export function endSession(message, how = {}) {
  current = null;
  clearTimeout(expiryTimer);
  session.clear();
  for (const fn of endListeners) fn(message, how);
}

/**
 * api calls an authenticated route. A 401 means the token expired or was
 * revoked (logged out elsewhere): back to the login form, with a message.
 */
export async function api(method, path, options = {}) {
  if (!current) throw new ApiError(401, "Please log in.");
  try {
    return await request(method, path, { ...options, token: current.token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && !(options.allow401 && err.message === options.allow401)) {
      endSession(err.message === "Token has expired"
        ? "Your session has expired. Please log in again."
        : "Your session has ended (you may have logged out elsewhere). Please log in again.");
      err.sessionEnded = true;
    }
    throw err;
  }
}
