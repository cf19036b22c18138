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
  const mine = current;
  let answer;
  try {
    answer = await request(method, path, { ...options, token: mine.token });
  } catch (err) {
    if (current !== mine) throw ended(err); // an earlier session's call: not this screen's business
    if (err instanceof ApiError && err.status === 401 && !(options.allow401 && err.message === options.allow401)) {
      endSession(err.message === "Token has expired"
        ? "Your session has expired. Please log in again."
        : "Your session has ended (you may have logged out elsewhere). Please log in again.");
      err.sessionEnded = true;
    }
    throw err;
  }
  // The session ended (logged out, expired) while the call was on its
  // way: its answer belongs to that session, so the caller must not
  // confirm it in a toast or draw it on whatever screen shows now.
  if (current !== mine) throw ended(new ApiError(401, "Please log in."));
  return answer;
}

/** ended marks err as met by a call whose session is over. */
function ended(err) {
  err.sessionEnded = true;
  return err;
}
