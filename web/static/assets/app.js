// The task manager: log in or register, then list, filter, sort, page,
// create, edit, complete and delete tasks. Plain DOM, no framework; every
// piece of user text goes in through textContent, never as HTML.
import { ApiError, apiURL, request, query } from "./api.js";
import * as session from "./session.js";
import { toRFC3339, toLocalInput, formatLocal, zoneName } from "./dates.js";
import { busy, clearErrors, fieldError, formError, showError } from "./forms.js";

const PAGE_SIZE = 20;
const MSG_WRONG_PASSWORD = "Current password is incorrect";
const MSG_TASK_CHANGED = "This task was changed somewhere else since you opened it. " +
  "The latest version is shown below: check it, make your change again and save.";

const $ = (id) => document.getElementById(id);
const el = {
  booting: $("booting"),
  authView: $("auth-view"),
  tasksView: $("tasks-view"),
  sessionMessage: $("session-message"),
  loginForm: $("login-form"),
  registerForm: $("register-form"),
  accountBar: $("account-bar"),
  whoami: $("whoami"),
  filters: $("filters"),
  list: $("task-list"),
  listError: $("list-error"),
  listSummary: $("list-summary"),
  prev: $("prev-page"),
  next: $("next-page"),
  pageLabel: $("page-label"),
  toast: $("toast"),
  taskDialog: $("task-dialog"),
  taskForm: $("task-form"),
  taskConflict: $("task-conflict"),
  deleteDialog: $("delete-dialog"),
  deleteForm: $("delete-form"),
  passwordDialog: $("password-dialog"),
  passwordForm: $("password-form"),
  template: $("task-template"),
};

const LABELS = {
  status: { pending: "Pending", in_progress: "In progress", completed: "Completed" },
  priority: { low: "Low priority", medium: "Medium priority", high: "High priority" },
};

let current = null; // the session: {token, username, expiresAt}
let expiryTimer = 0;

// The list's state. A page is fetched by cursor when the API hands out
// next_cursor, else by offset; cursors[i] is what fetches page i.
const list = {
  status: "",
  priority: "",
  sort: "created_at",
  order: "desc",
  page: 0,
  cursors: [null],
  total: null,
  tasks: [],
  loading: null,
};

// ---------------------------------------------------------------- session

function startSession(s) {
  current = s;
  clearTimeout(expiryTimer);
  // setTimeout's limit is ~24.8 days; tokens live hours.
  const wait = Math.min(Math.max(s.expiresAt - Date.now(), 0), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => endSession("Your session has expired. Please log in again."), wait);
  el.whoami.textContent = s.username;
  el.passwordForm.elements.namedItem("username").value = s.username;
}

/** endSession forgets the token and returns to the login form. */
function endSession(message) {
  current = null;
  clearTimeout(expiryTimer);
  session.clear();
  for (const d of [el.taskDialog, el.deleteDialog, el.passwordDialog]) if (d.open) d.close();
  list.tasks = [];
  el.list.replaceChildren();
  showAuth("login", message);
}

/**
 * api calls an authenticated route. A 401 means the token expired or was
 * revoked (logged out elsewhere): back to the login form, with a message.
 */
async function api(method, path, options = {}) {
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

// ---------------------------------------------------------------- views

function showAuth(which, message) {
  el.booting.hidden = true;
  el.tasksView.hidden = true;
  el.accountBar.hidden = true;
  el.authView.hidden = false;
  el.sessionMessage.textContent = message || "";
  el.sessionMessage.hidden = !message;
  const showLogin = which === "login";
  el.loginForm.hidden = !showLogin;
  el.registerForm.hidden = showLogin;
  const form = showLogin ? el.loginForm : el.registerForm;
  clearErrors(form);
  form.querySelector("h1").focus();
  document.title = showLogin ? "Log in · Tasks" : "Create an account · Tasks";
}

function showTasks() {
  el.booting.hidden = true;
  el.authView.hidden = true;
  el.tasksView.hidden = false;
  el.accountBar.hidden = false;
  document.title = "Your tasks · Tasks";
}

let toastTimer = 0;
/** say shows a short confirmation, announced to screen readers too. */
function say(message) {
  clearTimeout(toastTimer);
  el.toast.textContent = message;
  toastTimer = setTimeout(() => { el.toast.textContent = ""; }, 4000);
}

// ---------------------------------------------------------------- auth

async function logIn(username, password) {
  const { data } = await request("POST", "/auth/login", { body: { username, password } });
  startSession(session.save(data.token, data.user.username, data.expires_in));
  el.loginForm.reset();
  el.registerForm.reset();
  showTasks();
  resetPaging();
  await loadTasks();
  $("tasks-heading").focus();
}

el.loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.loginForm;
  clearErrors(form);
  const username = form.elements.namedItem("username").value.trim();
  const password = form.elements.namedItem("password").value;
  let missing = false;
  if (!username) { fieldError(form, "username", "Enter your username."); missing = true; }
  if (!password) { fieldError(form, "password", "Enter your password."); missing = true; }
  if (missing) { form.querySelector('[aria-invalid="true"]').focus(); return; }
  await busy(form, async () => {
    try {
      await logIn(username, password);
    } catch (err) {
      showError(form, err);
    }
  });
});

el.registerForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.registerForm;
  clearErrors(form);
  const body = {
    username: form.elements.namedItem("username").value.trim(),
    email: form.elements.namedItem("email").value.trim(),
    password: form.elements.namedItem("password").value,
  };
  await busy(form, async () => {
    try {
      // The API checks every rule and names each broken one: its
      // messages are shown as they are, at their fields.
      await request("POST", "/auth/register", { body });
    } catch (err) {
      showError(form, err);
      return;
    }
    try {
      await logIn(body.username, body.password);
      say("Account created. Welcome!");
    } catch (err) {
      showAuth("login");
      showError(el.loginForm, err);
    }
  });
});

$("show-register").addEventListener("click", () => showAuth("register"));
$("show-login").addEventListener("click", () => showAuth("login"));

$("logout").addEventListener("click", async () => {
  // Revoke the token on the server, then forget it here whatever happens:
  // a user who asked to leave must be out of this tab.
  let note = "You have logged out.";
  try {
    await api("POST", "/auth/logout");
  } catch (err) {
    if (err.sessionEnded) return;
    note = `Logged out here, but the server could not revoke the session: ${err.message}`;
  }
  endSession(note);
});

// ---------------------------------------------------------------- password

$("open-password").addEventListener("click", () => {
  el.passwordForm.reset();
  el.passwordForm.elements.namedItem("username").value = current ? current.username : "";
  clearErrors(el.passwordForm);
  el.passwordDialog.showModal();
});

el.passwordForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.passwordForm;
  clearErrors(form);
  const current_password = form.elements.namedItem("current_password").value;
  const new_password = form.elements.namedItem("new_password").value;
  const confirm = form.elements.namedItem("confirm_password").value;
  if (new_password !== confirm) {
    fieldError(form, "confirm_password", "The two new passwords differ.").focus();
    return;
  }
  await busy(form, async () => {
    try {
      await api("PUT", "/auth/password", { body: { current_password, new_password }, allow401: MSG_WRONG_PASSWORD });
      el.passwordDialog.close();
      say("Password changed. Use the new one next time you log in.");
    } catch (err) {
      if (err.sessionEnded) return;
      if (err instanceof ApiError && err.status === 401) {
        fieldError(form, "current_password", err.message).focus();
        return;
      }
      showError(form, err);
    }
  });
});

// ---------------------------------------------------------------- list

function resetPaging() {
  list.page = 0;
  list.cursors = [null];
}

el.filters.addEventListener("change", () => {
  const f = el.filters.elements;
  list.status = f.namedItem("status").value;
  list.priority = f.namedItem("priority").value;
  [list.sort, list.order] = f.namedItem("sort").value.split(":");
  resetPaging();
  loadTasks();
});
el.filters.addEventListener("submit", (event) => event.preventDefault());

el.prev.addEventListener("click", () => {
  if (list.page > 0) {
    list.page -= 1;
    loadTasks({ focus: el.prev.disabled ? el.next : el.prev });
  }
});
el.next.addEventListener("click", () => {
  list.page += 1;
  loadTasks({ focus: el.next });
});

/**
 * loadTasks fetches the current page and draws it. focus, if given, is
 * the element (or a function returning one) to focus once drawn.
 */
async function loadTasks({ focus } = {}) {
  if (!current) return;
  if (list.loading) list.loading.abort();
  const controller = new AbortController();
  list.loading = controller;
  const cursor = list.cursors[list.page];
  const params = {
    status: list.status,
    priority: list.priority,
    sort: list.sort,
    order: list.order,
    limit: PAGE_SIZE,
  };
  if (cursor) params.cursor = cursor;
  else if (list.page > 0) params.offset = list.page * PAGE_SIZE;
  el.tasksView.setAttribute("aria-busy", "true");
  let data;
  try {
    ({ data } = await api("GET", `/tasks${query(params)}`, { signal: controller.signal }));
  } catch (err) {
    if (err.name === "AbortError" || err.sessionEnded) return;
    el.listError.textContent = `Could not load your tasks: ${err.message}`;
    el.listError.hidden = false;
    return;
  } finally {
    if (list.loading === controller) {
      list.loading = null;
      el.tasksView.removeAttribute("aria-busy");
    }
  }
  el.listError.hidden = true;
  const tasks = Array.isArray(data.tasks) ? data.tasks : [];
  // A page emptied by deletes or completions: step back to one that has tasks.
  if (tasks.length === 0 && list.page > 0) {
    list.page -= 1;
    return loadTasks({ focus });
  }
  list.tasks = tasks;
  list.total = typeof data.total === "number" ? data.total : null;
  const nextCursor = typeof data.next_cursor === "string" && data.next_cursor ? data.next_cursor : null;
  list.cursors.length = list.page + 1;
  let hasNext;
  if (nextCursor) {
    list.cursors.push(nextCursor);
    hasNext = true;
  } else if ("next_cursor" in data) {
    hasNext = false; // the API pages by cursor, and this is the last page
  } else {
    hasNext = list.total !== null && list.page * PAGE_SIZE + tasks.length < list.total;
  }
  render(tasks, hasNext);
  const target = typeof focus === "function" ? focus() : focus;
  if (target && !target.disabled && document.contains(target)) target.focus();
  else if (target) $("tasks-heading").focus();
}

function render(tasks, hasNext) {
  el.list.replaceChildren(...tasks.map(renderTask));
  const first = list.page * PAGE_SIZE + 1;
  const last = list.page * PAGE_SIZE + tasks.length;
  const filtered = list.status || list.priority;
  if (tasks.length === 0) {
    el.listSummary.textContent = filtered ? "No tasks match these filters." : "No tasks yet. Create your first one with “New task”.";
  } else if (list.total !== null) {
    el.listSummary.textContent = `Showing ${first}–${last} of ${list.total} ${list.total === 1 ? "task" : "tasks"}${filtered ? " matching the filters" : ""}.`;
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
    const time = document.createElement("time");
    time.dateTime = task.due_date;
    time.textContent = formatLocal(task.due_date);
    const overdue = task.status !== "completed" && new Date(task.due_date).getTime() < Date.now();
    due.append(overdue ? "Overdue since " : "Due ", time);
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
  li.querySelector(".edit").addEventListener("click", () => openEditor(task.id));
  li.querySelector(".delete .visually-hidden").textContent = ` “${task.title}”`;
  li.querySelector(".delete").addEventListener("click", () => confirmDelete(task));
  return li;
}

function hiddenText(text) {
  const span = document.createElement("span");
  span.className = "visually-hidden";
  span.textContent = text;
  return span;
}

/** focusAfterChange keeps keyboard users in place once the list is redrawn. */
function focusNear(id, index) {
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

// ---------------------------------------------------------------- editor

// editing is the task open in the editor ({id, etag}), or null for a new one.
let editing = null;
let opener = null;

$("task-due-zone").textContent = zoneName() ? `, ${zoneName()}` : "";

$("new-task").addEventListener("click", () => {
  editing = null;
  opener = $("new-task");
  const form = el.taskForm;
  form.reset();
  clearErrors(form);
  el.taskConflict.hidden = true;
  $("task-dialog-title").textContent = "New task";
  el.taskDialog.showModal();
  $("task-title").focus();
});

function fillEditor(task) {
  const f = el.taskForm.elements;
  f.namedItem("title").value = task.title;
  f.namedItem("description").value = task.description || "";
  f.namedItem("status").value = task.status;
  f.namedItem("priority").value = task.priority;
  f.namedItem("due_date").value = toLocalInput(task.due_date);
}

async function openEditor(id) {
  opener = document.activeElement;
  // Fetch the task fresh: its ETag makes the save conditional, so an edit
  // made meanwhile elsewhere is never silently overwritten.
  let res;
  try {
    res = await api("GET", `/tasks/${id}`);
  } catch (err) {
    if (err.sessionEnded) return;
    el.listError.textContent = `Could not open the task: ${err.message}`;
    el.listError.hidden = false;
    if (err.status === 404) loadTasks();
    return;
  }
  editing = { id, etag: res.etag };
  clearErrors(el.taskForm);
  el.taskConflict.hidden = true;
  fillEditor(res.data.task);
  $("task-dialog-title").textContent = "Edit task";
  el.taskDialog.showModal();
  $("task-title").focus();
}

$("task-due-clear").addEventListener("click", () => {
  el.taskForm.elements.namedItem("due_date").value = "";
  $("task-due").focus();
});

el.taskForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.taskForm;
  clearErrors(form);
  const f = form.elements;
  const title = f.namedItem("title").value.trim();
  const description = f.namedItem("description").value;
  const dueInput = f.namedItem("due_date");
  if (!title) {
    fieldError(form, "title", "Title is required").focus();
    return;
  }
  if (dueInput.validity.badInput) {
    fieldError(form, "due_date", "Enter a complete date and time, or clear it.").focus();
    return;
  }
  const due = dueInput.value ? toRFC3339(dueInput.value) : "";
  if (dueInput.value && !due) {
    fieldError(form, "due_date", "That date and time is not valid.").focus();
    return;
  }
  const body = {
    title,
    description: description === "" ? null : description,
    status: f.namedItem("status").value,
    priority: f.namedItem("priority").value,
    due_date: due || null,
  };
  await busy(form, async () => {
    try {
      if (editing) {
        await api("PUT", `/tasks/${editing.id}`, { body, ifMatch: editing.etag });
        say(`Saved “${title}”.`);
      } else {
        if (body.description === null) delete body.description;
        if (body.due_date === null) delete body.due_date;
        await api("POST", "/tasks", { body });
        say(`Created “${title}”.`);
        resetPaging();
      }
    } catch (err) {
      if (err.sessionEnded) return;
      if (err instanceof ApiError && err.status === 412 && editing) {
        await reloadAfterConflict(editing.id);
        return;
      }
      showError(form, err);
      return;
    }
    el.taskDialog.close();
    await loadTasks();
  });
});

/** reloadAfterConflict shows the version someone else saved. */
async function reloadAfterConflict(id) {
  try {
    const res = await api("GET", `/tasks/${id}`);
    editing = { id, etag: res.etag };
    fillEditor(res.data.task);
    el.taskConflict.textContent = MSG_TASK_CHANGED;
  } catch (err) {
    if (err.sessionEnded) return;
    el.taskConflict.textContent = err.status === 404
      ? "This task was deleted somewhere else since you opened it."
      : `This task was changed somewhere else, and reloading it failed: ${err.message}`;
    if (err.status === 404) editing = null;
  }
  el.taskConflict.hidden = false;
  $("task-title").focus();
  loadTasks();
}

// ---------------------------------------------------------------- delete

let deleting = null;

function confirmDelete(task) {
  deleting = task;
  opener = document.activeElement;
  $("delete-task-title").textContent = task.title;
  clearErrors(el.deleteForm);
  el.deleteDialog.showModal();
  // Cancel is the safe default for a keyboard user who presses Enter.
  el.deleteDialog.querySelector("[data-close]").focus();
}

el.deleteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const task = deleting;
  if (!task) return;
  const index = list.tasks.findIndex((t) => t.id === task.id);
  await busy(el.deleteForm, async () => {
    try {
      await api("DELETE", `/tasks/${task.id}`);
    } catch (err) {
      if (err.sessionEnded) return;
      if (err.status !== 404) {
        formError(el.deleteForm, err.message);
        return;
      }
    }
    deleting = null;
    el.deleteDialog.close();
    say(`Deleted “${task.title}”.`);
    await loadTasks({ focus: focusNear(task.id, index) });
  });
});

// ---------------------------------------------------------------- dialogs

for (const dialog of [el.taskDialog, el.deleteDialog, el.passwordDialog]) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  // Back to where the user was, as a native dialog's opener would expect.
  dialog.addEventListener("close", () => {
    if (opener && document.contains(opener) && !opener.disabled) opener.focus();
    opener = null;
  });
}
$("open-password").addEventListener("click", () => { opener = $("open-password"); });

// ---------------------------------------------------------------- start

function boot() {
  // The interactive API reference lives with the API, wherever that is.
  $("docs-link").href = apiURL("/docs");
  const s = session.load();
  if (!s) {
    showAuth("login");
    $("login-username").focus();
    return;
  }
  if (session.expired(s)) {
    session.clear();
    showAuth("login", "Your session has expired. Please log in again.");
    return;
  }
  startSession(s);
  showTasks();
  loadTasks();
}

boot();
