// Which screen shows (the login and register forms, or the task list),
// and the toast that confirms what just happened.
import { el } from "./dom.js";
import { clearErrors } from "./forms.js";

export function showAuth(which, message) {
  clearToast(); // a confirmation belongs to the session it confirmed
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

export function showTasks() {
  el.booting.hidden = true;
  el.authView.hidden = true;
  el.tasksView.hidden = false;
  el.accountBar.hidden = false;
  document.title = "Your tasks · Tasks";
}

let toastTimer = 0;
/** say shows a short confirmation, announced to screen readers too. */
export function say(message) {
  clearTimeout(toastTimer);
  el.toast.textContent = message;
  toastTimer = setTimeout(clearToast, 4000);
}

/** clearToast removes the confirmation at once. */
export function clearToast() {
  clearTimeout(toastTimer);
  el.toast.textContent = "";
}
