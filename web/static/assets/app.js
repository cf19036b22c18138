// The task manager: log in or register, then list, search, filter, sort,
// page, create, edit, complete and delete tasks. Plain DOM, no framework;
// every piece of user text goes in through textContent, never as HTML.
// This module starts the app and ties the pieces together:
//   client.js   the session and authenticated API calls
//   account.js  sign up, log in and out, change the password
//   tasklist.js the list, its place in the address, and drawing it
//   editor.js   the task and delete dialogs
//   views.js    which screen shows, and the toast
import { apiURL } from "./api.js";
import * as session from "./session.js";
import { onSessionEnd, startSession } from "./client.js";
import { $, el } from "./dom.js";
import { clearAddress, clearList, loadTasks, readAddress } from "./tasklist.js";
import { focusReturn } from "./editor.js";
import "./account.js";
import { showAuth, showTasks } from "./views.js";

onSessionEnd((message, { leaving = false } = {}) => {
  for (const d of [el.taskDialog, el.deleteDialog, el.passwordDialog]) if (d.open) d.close();
  clearList();
  // Someone who logs out leaves their list behind; a session that
  // expired keeps the address, to come back to it after logging in.
  if (leaving) clearAddress();
  showAuth("login", message);
});

for (const dialog of [el.taskDialog, el.deleteDialog, el.passwordDialog]) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  // Back to where the user was, as a native dialog's opener would expect.
  dialog.addEventListener("close", () => {
    const { opener } = focusReturn;
    if (opener && document.contains(opener) && !opener.disabled) opener.focus();
    focusReturn.opener = null;
  });
}

function boot() {
  // The interactive API reference lives with the API, wherever that is.
  $("docs-link").href = apiURL("/docs");
  // A shared link or a reload names a list: show that one once signed in.
  readAddress();
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
