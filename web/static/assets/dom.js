// The page's elements, looked up once, and small DOM helpers.

export const $ = (id) => document.getElementById(id);

export const el = {
  booting: $("booting"),
  authView: $("auth-view"),
  tasksView: $("tasks-view"),
  sessionMessage: $("session-message"),
  loginForm: $("login-form"),
  registerForm: $("register-form"),
  accountBar: $("account-bar"),
  whoami: $("whoami"),
  filters: $("filters"),
  filtersToggle: $("filters-toggle"),
  search: $("filter-q"),
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

/** hiddenText is a span read by screen readers only. */
export function hiddenText(text) {
  const span = document.createElement("span");
  span.className = "visually-hidden";
  span.textContent = text;
  return span;
}
