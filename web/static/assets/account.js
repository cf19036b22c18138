// Signing up, logging in and out, and changing the password.
import { ApiError, request } from "./api.js";
import * as session from "./session.js";
import { api, endSession, signedIn, startSession } from "./client.js";
import { $, el } from "./dom.js";
import { busy, clearErrors, fieldError, liveValidation, showError } from "./forms.js";
import { loadTasks, resetPaging } from "./tasklist.js";
import { say, showAuth, showTasks } from "./views.js";
import { focusReturn } from "./editor.js";

const MSG_WRONG_PASSWORD = "Current password is incorrect";

// The rules the forms check as a field is fixed; the API checks them all
// again and its messages win on submit.
const required = (message) => (v) => (v.trim() ? "" : message);
const passwordRule = (v) => (v.length >= 8 ? "" : "Password must be at least 8 characters");
liveValidation(el.loginForm, { username: required("Enter your username."), password: required("Enter your password.") });
liveValidation(el.registerForm, {
  username: (v) => (/^[A-Za-z0-9_.-]{3,50}$/.test(v.trim()) ? "" : "Username must be 3–50 letters, digits, _ . or -"),
  email: (v) => (/^[^\s@]+@[^\s@]+$/.test(v.trim()) ? "" : "Enter an email address, like name@example.com"),
  password: passwordRule,
});
const confirmRule = (v, form) => (v === form.elements.namedItem("new_password").value ? "" : "The two new passwords differ.");
confirmRule.dependsOn = ["new_password"];
liveValidation(el.passwordForm, { new_password: passwordRule, confirm_password: confirmRule });

/** logIn signs in and shows the list the address names. */
async function logIn(username, password) {
  const { data } = await request("POST", "/auth/login", { body: { username, password } });
  startSession(session.save(data.token, data.user.username, data.expires_in));
  el.loginForm.reset();
  el.registerForm.reset();
  showTasks();
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
      resetPaging();
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
  endSession(note, { leaving: true });
});

$("open-password").addEventListener("click", () => {
  focusReturn.opener = $("open-password");
  el.passwordForm.reset();
  el.passwordForm.elements.namedItem("username").value = signedIn() ? signedIn().username : "";
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
      // The change ended every session of the account, this one too.
      endSession("Password changed, and every session of your account ended. Log in with the new password.");
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
