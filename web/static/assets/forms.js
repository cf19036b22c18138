// Showing errors where they belong: each entry of a 400's details next to
// the field it names, anything else at the top of the form. Never blank.
import { ApiError } from "./api.js";

/** clearErrors hides every message in form and unmarks its fields. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll("[data-error-for]")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    unlink(el);
  }
}

function unlink(input) {
  const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && !id.endsWith("-error"));
  if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
  else input.removeAttribute("aria-describedby");
}

/** fieldError puts message under the named field (or at the form's top). */
export function fieldError(form, field, message) {
  const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(field)}"]`);
  const input = form.elements.namedItem(field);
  if (!slot || !input || !(input instanceof HTMLElement)) {
    formError(form, message);
    return null;
  }
  slot.textContent = slot.hidden ? message : `${slot.textContent} ${message}`;
  slot.hidden = false;
  if (!slot.id) slot.id = `${input.id}-error`;
  input.setAttribute("aria-invalid", "true");
  const ids = new Set((input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
  ids.add(slot.id);
  input.setAttribute("aria-describedby", [...ids].join(" "));
  return input;
}

/** formError shows message at the top of form. */
export function formError(form, message) {
  const slot = form.querySelector('[data-error-for="form"]');
  slot.textContent = message || "Something went wrong. Please try again.";
  slot.hidden = false;
}

/**
 * showError displays err on form: a 400's details at their fields (the
 * first one focused), otherwise its message at the top.
 */
export function showError(form, err) {
  clearErrors(form);
  if (err instanceof ApiError && err.details.length) {
    let first = null;
    for (const d of err.details) {
      const input = fieldError(form, String(d.field || "form"), String(d.message || err.message));
      first = first || input;
    }
    if (first) first.focus();
    else formError(form, err.message);
    return;
  }
  formError(form, err instanceof Error ? err.message : String(err));
}

/** busy disables form's submit button while work runs. */
export async function busy(form, work) {
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    submit.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

/** clearField hides the message of one field and unmarks it. */
export function clearField(form, field) {
  const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(field)}"]`);
  const input = form.elements.namedItem(field);
  if (slot) {
    slot.textContent = "";
    slot.hidden = true;
  }
  if (input instanceof HTMLElement) {
    input.removeAttribute("aria-invalid");
    unlink(input);
  }
}

/**
 * liveValidation re-checks a field marked invalid each time it changes,
 * so its message goes as soon as the value is fixed (and says what is
 * still wrong until then). rules maps a field name to a check returning
 * the message for a bad value or "" for a good one; a field without a
 * rule (an error only the server can judge, such as a username already
 * taken) is cleared once edited, and judged again on submit.
 */
export function liveValidation(form, rules = {}) {
  const recheck = (event) => {
    const input = event.target;
    if (!(input instanceof HTMLElement) || !input.name) return;
    for (const [name, rule] of Object.entries(rules)) {
      // A rule may depend on another field (a repeated password).
      if (name !== input.name && !(rule.dependsOn || []).includes(input.name)) continue;
      const field = form.elements.namedItem(name);
      if (!field || field.getAttribute("aria-invalid") !== "true") continue;
      const message = rule(field.value, form);
      if (message) replaceError(form, name, message);
      else clearField(form, name);
    }
    if (!(input.name in rules) && input.getAttribute("aria-invalid") === "true") clearField(form, input.name);
  };
  form.addEventListener("input", recheck);
  form.addEventListener("change", recheck);
}

function replaceError(form, field, message) {
  const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(field)}"]`);
  if (slot && slot.textContent !== message) slot.textContent = message;
}
