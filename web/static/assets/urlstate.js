// The list's place in the address: filters, sort, search and page are
// query parameters of the app's own URL, so a reload, Back and Forward and
// a shared link all show the same list. Defaults are left out, and values
// the app does not offer are ignored rather than sent to the API.

const CHOICES = {
  status: ["pending", "in_progress", "completed"],
  priority: ["low", "medium", "high"],
  sort: ["created_at", "due_date", "priority"],
  order: ["asc", "desc"],
};
export const DEFAULTS = { status: "", priority: "", sort: "created_at", order: "desc", q: "", page: 0 };
const MAX_Q = 100; // the API's limit on a search

/** fromURL reads a list state from a query string ("?status=…"). */
export function fromURL(search) {
  const p = new URLSearchParams(search);
  const state = { ...DEFAULTS };
  for (const [key, allowed] of Object.entries(CHOICES)) {
    const v = p.get(key);
    if (v && allowed.includes(v)) state[key] = v;
  }
  state.q = (p.get("q") || "").slice(0, MAX_Q);
  const page = Number(p.get("page"));
  // 1-based in the address, for people; 0-based inside.
  if (Number.isInteger(page) && page >= 1 && page <= 100000) state.page = page - 1;
  return state;
}

/** toURL writes a list state as a query string, "" for the defaults. */
export function toURL(state) {
  const p = new URLSearchParams();
  for (const key of ["q", "status", "priority", "sort", "order"]) {
    if (state[key] && state[key] !== DEFAULTS[key]) p.set(key, state[key]);
  }
  if (state.page > 0) p.set("page", String(state.page + 1));
  const s = p.toString();
  return s ? `?${s}` : "";
}
