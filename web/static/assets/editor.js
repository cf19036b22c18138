// Creating, editing and deleting a task: the task dialog (a save is
// conditional on the version opened, so a change made elsewhere meanwhile
// is shown, never overwritten) and the delete confirmation.
import { ApiError } from "./api.js";
import { api } from "./client.js";
import { $, el } from "./dom.js";
import { toRFC3339, toLocalInput, zoneName } from "./dates.js";
import { busy, clearErrors, fieldError, formError, liveValidation, showError } from "./forms.js";
import { focusNear, loadTasks, onTaskActions, resetPaging, tasksShown } from "./tasklist.js";
import { say } from "./views.js";

const MSG_TASK_CHANGED = "This task was changed somewhere else since you opened it. " +
  "The latest version is shown below: check it, make your change again and save.";

// editing is the task open in the editor ({id, etag}), or null for a new one.
let editing = null;
let deleting = null;

/** opener is the element to focus again once a dialog closes. */
export const focusReturn = { opener: null };

$("task-due-zone").textContent = zoneName() ? `, ${zoneName()}` : "";

const titleRule = (v) => (v.trim() ? (v.trim().length > 200 ? "Title must be at most 200 characters" : "") : "Title is required");
liveValidation(el.taskForm, {
  title: titleRule,
  due_date: (v, form) => (form.elements.namedItem("due_date").validity.badInput ? "Enter a complete date and time, or clear it." : ""),
});

$("new-task").addEventListener("click", () => {
  editing = null;
  focusReturn.opener = $("new-task");
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
  focusReturn.opener = document.activeElement;
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
  el.taskForm.elements.namedItem("due_date").dispatchEvent(new Event("change", { bubbles: true }));
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

function confirmDelete(task) {
  deleting = task;
  focusReturn.opener = document.activeElement;
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
  const index = tasksShown().findIndex((t) => t.id === task.id);
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

onTaskActions({ edit: openEditor, remove: confirmDelete });
