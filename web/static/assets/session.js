// The session: the bearer token and who it belongs to, kept in
// sessionStorage. It survives a reload of the tab but not the tab itself:
// closing the tab (or the browser) ends it, so a token is not left behind
// on a shared computer for the rest of its hour, and other sites' tabs
// never see it. Script on this origin could read it wherever it were kept;
// the strict CSP (no inline or foreign script) is what guards that.
const KEY = "taskapi.session";

/** load returns {token, username, expiresAt} or null. */
export function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (s && typeof s.token === "string" && typeof s.username === "string") return s;
  } catch {
    // A corrupt entry is no session.
  }
  return null;
}

/** save stores a login answer: the token and its lifetime in seconds. */
export function save(token, username, expiresIn) {
  const s = { token, username, expiresAt: Date.now() + Number(expiresIn || 0) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

export function clear() {
  sessionStorage.removeItem(KEY);
}

/** expired reports whether the session's token is past its lifetime. */
export function expired(s, now = Date.now()) {
  return !s.expiresAt || now >= s.expiresAt;
}
