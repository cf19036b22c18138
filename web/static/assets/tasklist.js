// The task list: its state (filters, sort, search, page) kept in the
// address, loading a page from the API (by cursor when it hands one out,
// else by offset), and drawing it.
import { query } from "./api.js";
import { api, signedIn } from "./client.js";
import { $, el, hiddenText } from "./dom.js";
import { formatLocal, relativeDue } from "./dates.js";
import { DEFAULTS, fromURL, toURL } from "./urlstate.js";
import { say } from "./views.js";

const PAGE_SIZE = 20;
const SEARCH_DELAY = 300; // ms of quiet typing before a search runs
const LOADING_DELAY = 250; // ms before a slow load says so

const LABELS = {
  status: { pending: "Pending", in_progress: "In progress", completed: "Completed" },
  priority: { low: "Low priority", medium: "Medium priority", high: "High priority" },
};

// The list's state. cursors[i] fetches page i when the API handed one
// out for it; a page without one is fetched by offset.
const list = {
  ...DEFAULTS,
  cursors: [null],
  total: null,
  tasks: [],
  loading: null,
};

// What the task buttons do, set by the editor (see onTaskActions).
let actions = { edit: () => {}, remove: () => {} };

/** onTaskActions sets what Edit and Delete on a task do. */
export function onTaskActions(a) {
  actions = a;
}

/** tasksShown is the page on screen. */
export function tasksShown() {
  return list.tasks;
}

export function resetPaging() {
  list.page = 0;
  list.cursors = [null];
}

/** sameList reports whether a and b are one list (paging aside). */
const sameList = (a, b) => ["status", "priority", "sort", "order", "q"].every((k) => a[k] === b[k]);

/** applyState takes a list state (from the address) and shows it in the controls. */
function applyState(state) {
  if (!sameList(list, state)) list.cursors = [null];
  Object.assign(list, state);
  const f = el.filters.elements;
  f.namedItem("status").value = list.status;
  f.namedItem("priority").value = list.priority;
  f.namedItem("sort").value = `${list.sort}:${list.order}`;
  if (el.search.value.trim() !== list.q) el.search.value = list.q;
  showFilterCount();
}

/** readAddress sets the list from the page's address. */
export function readAddress() {
  applyState(fromURL(location.search));
}

/** writeAddress puts the list in the address, as a new history entry when push. */
function writeAddress(push) {
  const url = location.pathname + toURL(list) + location.hash;
  if (url === location.pathname + location.search + location.hash) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

/** clearAddress drops the list from the address (at logout: not the next user's). */
export function clearAddress() {
  clearTimeout(searchTimer);
  applyState({ ...DEFAULTS });
  writeAddress(false);
}

function showFilterCount() {
  const n = [list.status, list.priority].filter(Boolean).length + (list.sort !== DEFAULTS.sort || list.order !== DEFAULTS.order ? 1 : 0);
  el.filtersToggle.textContent = n ? `Filters (${n})` : "Filters";
}

function filtersChanged() {
  const f = el.filters.elements;
  const [sort, order] = f.namedItem("sort").value.split(":");
  const next = { status: f.namedItem("status").value, priority: f.namedItem("priority").value, sort, order, q: el.search.value.trim() };
  if (sameList(list, next)) return;
  Object.assign(list, next);
  resetPaging();
  showFilterCount();
  writeAddress(true);
  loadTasks();
}

let searchTimer = 0;
el.filters.addEventListener("change", (event) => {
  if (event.target === el.search) return; // the search runs as it is typed
  filtersChanged();
});
el.search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(filtersChanged, SEARCH_DELAY);
});
el.filters.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  filtersChanged();
});

el.filtersToggle.addEventListener("click", () => {
  const open = el.filters.classList.toggle("open");
  el.filtersToggle.setAttribute("aria-expanded", String(open));
});

window.addEventListener("popstate", () => {
  if (!signedIn()) return;
  readAddress();
  loadTasks();
});

el.prev.addEventListener("click", () => {
  if (list.page > 0) {
    list.page -= 1;
    writeAddress(true);
    loadTasks({ focus: el.prev.disabled ? el.next : el.prev });
  }
});
el.next.addEventListener("click", () => {
  list.page += 1;
  writeAddress(true);
  loadTasks({ focus: el.next });
});

/**
 * loadTasks fetches the current page and draws it. focus, if given, is
 * the element (or a function returning one) to focus once drawn.
 */
export async function loadTasks({ focus } = {}) {
  if (!signedIn()) return;
  if (list.loading) list.loading.abort();
  const controller = new AbortController();
  list.loading = controller;
  const cursor = list.cursors[list.page];
  const params = { status: list.status, priority: list.priority, q: list.q, sort: list.sort, order: list.order, limit: PAGE_SIZE };
  if (cursor) params.cursor = cursor;
  else if (list.page > 0) params.offset = list.page * PAGE_SIZE;
  el.tasksView.setAttribute("aria-busy", "true");
  // A quick answer replaces the list at once; a slow one says it is coming.
  const slow = setTimeout(() => {
    el.list.classList.add("loading");
    el.listSummary.textContent = "Loading tasks…";
  }, LOADING_DELAY);
  let data;
  try {
    ({ data } = await api("GET", `/tasks${query(params)}`, { signal: controller.signal }));
  } catch (err) {
    if (err.name === "AbortError" || err.sessionEnded) return;
    el.listError.textContent = `Could not load your tasks: ${err.message}`;
    el.listError.hidden = false;
    el.listSummary.textContent = "";
    return;
  } finally {
    clearTimeout(slow);
    if (list.loading === controller) {
      list.loading = null;
      el.tasksView.removeAttribute("aria-busy");
      el.list.classList.remove("loading");
    }
  }
  el.listError.hidden = true;
  const tasks = Array.isArray(data.tasks) ? data.tasks : [];
  // A page emptied by deletes or completions: step back to one that has tasks.
  if (tasks.length === 0 && list.page > 0) {
    list.page -= 1;
    writeAddress(false);
    return loadTasks({ focus });
  }
  list.tasks = tasks;
  list.total = typeof data.total === "number" ? data.total : null;
  const nextCursor = typeof data.next_cursor === "string" && data.next_cursor ? data.next_cursor : null;
  let hasNext;
  if (nextCursor) {
    list.cursors[list.page + 1] = nextCursor;
    hasNext = true;
  } else if ("next_cursor" in data) {
    list.cursors.length = list.page + 1;
    hasNext = false; // the API pages by cursor, and this is the last page
  } else {
    hasNext = list.total !== null && list.page * PAGE_SIZE + tasks.length < list.total;
  }
  render(tasks, hasNext);
  const target = typeof focus === "function" ? focus() : focus;
  if (target && !target.disabled && document.contains(target)) target.focus();
  else if (target) $("tasks-heading").focus();
}

/** clearList empties the list (at logout). */
export function clearList() {
  if (list.loading) list.loading.abort();
  list.tasks = [];
  el.list.replaceChildren();
}

function render(tasks, hasNext) {
  el.list.replaceChildren(...tasks.map(renderTask));
  const first = list.page * PAGE_SIZE + 1;
  const last = list.page * PAGE_SIZE + tasks.length;
  const filtered = list.status || list.priority;
  const what = [list.q ? `“${list.q}”` : "", filtered ? "the filters" : ""].filter(Boolean).join(" and ");
  if (tasks.length === 0) {
    if (list.q) el.listSummary.textContent = `No tasks match “${list.q}”${filtered ? " and the filters" : ""}.`;
    else el.listSummary.textContent = filtered ? "No tasks match these filters." : "No tasks yet. Create your first one with “New task”.";
  } else if (list.total !== null) {
    el.listSummary.textContent = `Showing ${first}–${last} of ${list.total} ${list.total === 1 ? "task" : "tasks"}${what ? ` matching ${what}` : ""}.`;
  } else {
    el.listSummary.textContent = `Showing tasks ${first}–${last}.`;
  }
  el.prev.disabled = list.page === 0;
  el.next.disabled = !hasNext;
  const pages = list.total !== null ? Math.max(1, Math.ceil(list.total / PAGE_SIZE)) : null;
  el.pageLabel.textContent = pages ? `Page ${list.page + 1} of ${pages}` : `Page ${list.page + 1}`;
  el.pageLabel.parentElement.hidden = list.page === 0 && !hasNext;
}

function renderTask(task) {
  const li = el.template.content.firstElementChild.cloneNode(true);
  li.dataset.id = String(task.id);
  li.classList.add(`priority-${task.priority}`);
  if (task.status === "completed") li.classList.add("completed");
  li.querySelector(".task-title").textContent = task.title;
  li.querySelector(".priority").textContent = LABELS.priority[task.priority] || task.priority;
  const status = li.querySelector(".status");
  status.textContent = LABELS.status[task.status] || task.status;
  status.classList.add(task.status);
  const due = li.querySelector(".due");
  if (task.due_date) {
    // The relative date reads at a glance; the exact one shows on hover
    // and keyboard focus, and screen readers hear both.
    const { text, overdue } = relativeDue(task.due_date, new Date(), task.status === "completed");
    const exact = formatLocal(task.due_date);
    const time = document.createElement("time");
    time.dateTime = task.due_date;
    time.tabIndex = 0;
    time.title = exact;
    time.dataset.exact = exact;
    time.append(text, hiddenText(` (${exact})`));
    due.append(time);
    due.classList.toggle("overdue", overdue);
  } else {
    due.textContent = "No due date";
  }
  const desc = li.querySelector(".task-desc");
  desc.textContent = task.description || "";
  desc.hidden = !task.description;

  const done = task.status === "completed";
  const complete = li.querySelector(".complete");
  complete.append(done ? "Reopen" : "Complete", hiddenText(` “${task.title}”`));
  if (!done) complete.classList.add("primary");
  complete.addEventListener("click", () => setStatus(task, done ? "pending" : "completed", complete));
  li.querySelector(".edit .visually-hidden").textContent = ` “${task.title}”`;
  li.querySelector(".edit").addEventListener("click", () => actions.edit(task.id));
  li.querySelector(".delete .visually-hidden").textContent = ` “${task.title}”`;
  li.querySelector(".delete").addEventListener("click", () => actions.remove(task));
  return li;
}

/** focusNear keeps keyboard users in place once the list is redrawn. */
export function focusNear(id, index) {
  return () => {
    const same = el.list.querySelector(`li[data-id="${id}"] .complete`);
    if (same) return same;
    const items = el.list.querySelectorAll("li .complete");
    return items[Math.min(index, items.length - 1)] || $("tasks-heading");
  };
}

async function setStatus(task, status, button) {
  button.disabled = true;
  const index = list.tasks.findIndex((t) => t.id === task.id);
  try {
    await api("PUT", `/tasks/${task.id}`, { body: { status } });
  } catch (err) {
    if (err.sessionEnded) return;
    button.disabled = false;
    el.listError.textContent = `Could not update “${task.title}”: ${err.message}`;
    el.listError.hidden = false;
    return;
  }
  say(status === "completed" ? `Completed “${task.title}”.` : `Reopened “${task.title}”.`);
  await loadTasks({ focus: focusNear(task.id, index) });
}
