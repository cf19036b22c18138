// The web app in a real browser: headless Chromium (Debian's package)
// against the real server binary. Each test is one thing a person does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, watchConsole, screenshot, api, axeViolations } from "./harness.mjs";

let server;
let browser;
const pages = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const { context } of pages) await context.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.stop();
});

let counter = 0;
/** newUser registers an account through the API: {username, password, email}. */
async function newUser(prefix = "user") {
  counter += 1;
  const username = `${prefix}${counter}_${process.pid}`;
  const user = { username, email: `${username}@example.com`, password: `pass-${username}` };
  const res = await api(server.url, "POST", "/auth/register", { body: user });
  assert.equal(res.status, 201, JSON.stringify(res.data));
  return user;
}

async function tokenFor(user) {
  const res = await api(server.url, "POST", "/auth/login", { body: { username: user.username, password: user.password } });
  assert.equal(res.status, 200);
  return res.data.token;
}

/**
 * open starts a fresh browser context (its own sessionStorage) on the app.
 * problems collects console errors, uncaught exceptions and CSP reports.
 */
async function open(options = {}) {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "Europe/Paris", ...options });
  const page = await context.newPage();
  const problems = watchConsole(page);
  pages.push({ context, page });
  await page.goto(`${server.url}/`);
  return { page, problems, context };
}

/**
 * clean asserts that the page logged nothing bad. The only messages a test
 * may allow are Chromium's own notes about API answers it provoked on
 * purpose ("Failed to load resource: ... status of 400"), by status.
 */
function clean(problems, ...allowedStatuses) {
  const left = problems.filter((p) => {
    const m = /Failed to load resource: the server responded with a status of (\d+)/.exec(p);
    return !(m && allowedStatuses.includes(Number(m[1])));
  });
  assert.deepEqual(left, [], "console errors, uncaught exceptions or CSP violations");
}

async function logIn(page, user) {
  await page.locator("#login-username").fill(user.username);
  await page.locator("#login-password").fill(user.password);
  await page.locator("#login-form").getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Your tasks" }).waitFor();
  await listed(page);
}

/**
 * listed waits until the list has been drawn: its summary is set and no
 * load is running (the view is aria-busy from the moment one starts).
 */
async function listed(page) {
  await page.waitForFunction(() => document.getElementById("list-summary").textContent !== "" &&
    !document.getElementById("tasks-view").hasAttribute("aria-busy"));
}

/** choose picks a filter or sort option and waits for the list it loads. */
async function choose(page, label, value) {
  await filters(page).getByLabel(label).selectOption(value);
  await listed(page);
}

/** createInUI fills and saves the new-task dialog. */
async function createInUI(page, { title, description, priority, status, due }) {
  await page.getByRole("button", { name: "New task" }).click();
  const dialog = page.getByRole("dialog", { name: "New task" });
  await dialog.getByLabel("Title").fill(title);
  if (description) await dialog.getByLabel("Description").fill(description);
  if (priority) await dialog.getByLabel("Priority").selectOption(priority);
  if (status) await dialog.getByLabel("Status").selectOption(status);
  if (due) await dialog.getByLabel(/^Due/).fill(due);
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.locator("#task-list li", { hasText: title }).waitFor();
}

const item = (page, title) => page.locator("#task-list li").filter({ has: page.getByRole("heading", { name: title, exact: true }) });
const filters = (page) => page.getByRole("search", { name: "Filter and sort tasks" });
const titles = (page) => page.locator("#task-list .task-title").allTextContents();

test("the app is served at / under a strict CSP, with no inline script or style", async () => {
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  const csp = res.headers.get("content-security-policy");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const { page, problems } = await open();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  assert.equal(await page.locator("script:not([src]), [style], style").count(), 0);
  // A CSP violation would be logged as a console error: there is none.
  clean(problems);
});

test("sign up from the register form, land on the task list, and stay signed in across a reload", async () => {
  const { page, problems } = await open();
  const username = `signup_${process.pid}`;
  await page.getByRole("button", { name: "Create an account" }).click();
  const form = page.locator("#register-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Email").fill(`${username}@example.com`);
  await form.getByLabel("Password").fill("a-good-password");
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Your tasks" }).waitFor();
  await listed(page);
  assert.equal(await page.locator("#whoami").textContent(), username);
  assert.match(await page.locator("#list-summary").textContent(), /No tasks yet/);
  await screenshot(page, "signed-up");

  await page.reload();
  await page.getByRole("heading", { name: "Your tasks" }).waitFor();
  await listed(page);
  assert.equal(await page.locator("#whoami").textContent(), username);
  clean(problems);
});

test("log in with the keyboard alone", async () => {
  const user = await newUser("keys");
  const { page, problems } = await open();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  // The username field has focus on arrival; Tab moves to the password.
  assert.equal(await page.evaluate(() => document.activeElement.id), "login-username");
  await page.keyboard.type(user.username);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "login-password");
  await page.keyboard.type(user.password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Your tasks" }).waitFor();
  await listed(page);
  // The focus ring is drawn: a 3 px outline on the focused control.
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineWidth);
  assert.equal(outline, "3px");
  clean(problems);
});

test("the API's validation messages are shown at the field they concern", async () => {
  const { page, problems } = await open();
  await page.getByRole("button", { name: "Create an account" }).click();
  const form = page.locator("#register-form");
  await form.getByLabel("Username").fill("ab");
  await form.getByLabel("Email").fill("not-an-address");
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Create account" }).click();
  const email = form.getByLabel("Email");
  await form.getByText("Email must be a valid address such as name@example.com").waitFor();
  assert.equal(await email.getAttribute("aria-invalid"), "true");
  // The message is tied to its field for screen readers.
  const describedBy = await email.getAttribute("aria-describedby");
  const described = await page.locator(`#${describedBy.split(" ").pop()}`).textContent();
  assert.equal(described, "Email must be a valid address such as name@example.com");
  await form.getByText("Username must be between 3 and 50 characters").waitFor();
  await form.getByText("Password must be at least 8 characters").waitFor();
  // The first broken field has the focus.
  assert.equal(await page.evaluate(() => document.activeElement.id), "register-username");

  // A conflict has no field: its message is shown at the top of the form.
  const taken = await newUser("taken");
  await form.getByLabel("Username").fill(taken.username);
  await form.getByLabel("Email").fill(`other_${taken.email}`);
  await form.getByLabel("Password").fill("long-enough-pass");
  await form.getByRole("button", { name: "Create account" }).click();
  await form.getByRole("alert").filter({ hasText: "Username or email already exists" }).waitFor();
  await screenshot(page, "validation");
  clean(problems, 400, 409);
});

test("create a task whose due time is entered and shown in the user's time zone", async () => {
  const user = await newUser("create");
  const { page, problems } = await open({ timezoneId: "Asia/Kolkata" });
  await logIn(page, user);
  await createInUI(page, { title: "Call the plumber", description: "Kitchen sink\nleaks", priority: "high", due: "2030-06-15T09:30" });
  const card = item(page, "Call the plumber");
  assert.match(await card.textContent(), /High priority/);
  // Years away: the date, with the exact time for screen readers and on hover.
  assert.match(await card.textContent(), /Due on Jun 15, 2030 \(Jun 15, 2030, 9:30\s?AM\)/);
  assert.match(await card.locator("time").getAttribute("title"), /^Jun 15, 2030, 9:30\s?AM$/);
  assert.equal(await card.locator("time").getAttribute("datetime"), "2030-06-15T04:00:00Z");
  // The API holds the same instant in UTC (India is UTC+05:30).
  const token = await tokenFor(user);
  const { data } = await api(server.url, "GET", "/tasks", { token });
  assert.equal(data.tasks.length, 1);
  assert.equal(data.tasks[0].due_date, "2030-06-15T04:00:00Z");
  assert.equal(data.tasks[0].description, "Kitchen sink\nleaks");
  // The editor shows it back in local time.
  await card.getByRole("button", { name: /^Edit/ }).click();
  const dialog = page.getByRole("dialog", { name: "Edit task" });
  assert.equal(await dialog.getByLabel(/^Due/).inputValue(), "2030-06-15T09:30");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  // An empty title is refused before it is sent.
  await page.getByRole("button", { name: "New task" }).click();
  const create = page.getByRole("dialog", { name: "New task" });
  await create.getByRole("button", { name: "Save" }).click();
  await create.getByText("Title is required").waitFor();
  await page.keyboard.press("Escape");
  clean(problems);
});

test("edit a task, and a change made elsewhere meanwhile is a 412 that reloads it", async () => {
  const user = await newUser("edit");
  const token = await tokenFor(user);
  const made = await api(server.url, "POST", "/tasks", { token, body: { title: "Draft the report", priority: "low" } });
  const id = made.data.task.id;
  const { page, problems } = await open();
  await logIn(page, user);

  await item(page, "Draft the report").getByRole("button", { name: /^Edit/ }).click();
  let dialog = page.getByRole("dialog", { name: "Edit task" });
  await dialog.getByLabel("Title").fill("Draft the quarterly report");
  await dialog.getByLabel("Priority").selectOption("medium");
  await dialog.getByLabel(/^Due/).fill("2031-01-02T08:00");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "hidden" });
  await item(page, "Draft the quarterly report").waitFor();
  let task = (await api(server.url, "GET", `/tasks/${id}`, { token })).data.task;
  assert.equal(task.title, "Draft the quarterly report");
  assert.equal(task.priority, "medium");
  assert.equal(task.due_date, "2031-01-02T07:00:00Z"); // Paris is UTC+1 in January

  // Open the editor, then someone else saves first.
  await item(page, "Draft the quarterly report").getByRole("button", { name: /^Edit/ }).click();
  dialog = page.getByRole("dialog", { name: "Edit task" });
  await dialog.getByLabel("Title").fill("My version");
  const other = await api(server.url, "PUT", `/tasks/${id}`, { token, body: { title: "Their version", priority: "high" } });
  assert.equal(other.status, 200);
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.getByText(/changed somewhere else/).waitFor();
  // The form now shows their version; nothing of mine was written.
  assert.equal(await dialog.getByLabel("Title").inputValue(), "Their version");
  assert.equal(await dialog.getByLabel("Priority").inputValue(), "high");
  task = (await api(server.url, "GET", `/tasks/${id}`, { token })).data.task;
  assert.equal(task.title, "Their version");
  await screenshot(page, "conflict");
  // Saving again now writes over the version just shown.
  await dialog.getByLabel("Title").fill("Merged version");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "hidden" });
  await item(page, "Merged version").waitFor();
  // Clearing the due date sends null.
  await item(page, "Merged version").getByRole("button", { name: /^Edit/ }).click();
  await dialog.getByRole("button", { name: "Clear due date" }).click();
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "hidden" });
  await item(page, "Merged version").getByText("No due date").waitFor();
  task = (await api(server.url, "GET", `/tasks/${id}`, { token })).data.task;
  assert.equal(task.due_date, null);
  clean(problems, 412);
});

test("filter by status and priority together, and sort", async () => {
  const user = await newUser("filter");
  const token = await tokenFor(user);
  const seed = [
    ["Pending low", "pending", "low", "2030-03-01T10:00:00Z"],
    ["Pending high", "pending", "high", "2030-01-01T10:00:00Z"],
    ["Done high", "completed", "high", null],
    ["Done low", "completed", "low", "2030-02-01T10:00:00Z"],
    ["Busy medium", "in_progress", "medium", null],
  ];
  for (const [title, status, priority, due] of seed) {
    const res = await api(server.url, "POST", "/tasks", { token, body: { title, status, priority, ...(due ? { due_date: due } : {}) } });
    assert.equal(res.status, 201);
  }
  const { page, problems } = await open();
  await logIn(page, user);
  assert.equal((await titles(page)).length, 5);

  await choose(page, "Status", "completed");
  await page.getByText("Showing 1–2 of 2 tasks matching the filters.").waitFor();
  assert.deepEqual((await titles(page)).sort(), ["Done high", "Done low"]);
  await choose(page, "Priority", "high");
  await page.getByText("Showing 1–1 of 1 task matching the filters.").waitFor();
  assert.deepEqual(await titles(page), ["Done high"]);
  await choose(page, "Status", "in_progress");
  await page.getByText("No tasks match these filters.").waitFor();
  assert.deepEqual(await titles(page), []);

  await choose(page, "Status", "");
  await choose(page, "Priority", "");
  await choose(page, "Sort by", "due_date:asc");
  await page.getByText("Showing 1–5 of 5 tasks.").waitFor();
  // Soonest first; tasks without a due date come last.
  const byDue = await titles(page);
  assert.deepEqual(byDue.slice(0, 3), ["Pending high", "Done low", "Pending low"]);
  await choose(page, "Sort by", "priority:desc");
  const byPriority = await page.locator("#task-list .priority").allTextContents();
  assert.deepEqual(byPriority, ["High priority", "High priority", "Medium priority", "Low priority", "Low priority"]);
  clean(problems);
});

test("page beyond the first 20 tasks", async () => {
  const user = await newUser("pages");
  const token = await tokenFor(user);
  for (let i = 1; i <= 45; i++) {
    const res = await api(server.url, "POST", "/tasks", { token, body: { title: `Item ${String(i).padStart(2, "0")}` } });
    assert.equal(res.status, 201);
  }
  const { page, problems } = await open();
  await logIn(page, user);
  await page.getByText("Showing 1–20 of 45 tasks.").waitFor();
  assert.equal((await titles(page)).length, 20);
  assert.equal((await titles(page))[0], "Item 45");
  const previous = page.getByRole("button", { name: "Previous page" });
  const next = page.getByRole("button", { name: "Next page" });
  assert.equal(await previous.isDisabled(), true);

  await next.click();
  await page.getByText("Showing 21–40 of 45 tasks.").waitFor();
  assert.equal((await titles(page))[0], "Item 25");
  await next.click();
  await page.getByText("Showing 41–45 of 45 tasks.").waitFor();
  assert.deepEqual(await titles(page), ["Item 05", "Item 04", "Item 03", "Item 02", "Item 01"]);
  assert.equal(await next.isDisabled(), true);
  assert.match(await page.locator("#page-label").textContent(), /Page 3 of 3/);
  await previous.click();
  await page.getByText("Showing 21–40 of 45 tasks.").waitFor();
  assert.equal((await titles(page))[19], "Item 06");
  clean(problems);
});

test("page by the API's next_cursor, back and forth, never by offset", async () => {
  // Every list answer carries next_cursor (null on the last page); the app
  // follows it forward and keeps the cursors it was handed to go back.
  const user = await newUser("cursor");
  const token = await tokenFor(user);
  for (let i = 1; i <= 41; i++) {
    await api(server.url, "POST", "/tasks", { token, body: { title: `Row ${String(i).padStart(2, "0")}` } });
  }
  const { page, problems } = await open();
  const sent = [];
  const handed = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname === "/tasks" && request.method() === "GET") sent.push(url.searchParams);
  });
  page.on("response", async (response) => {
    const url = new URL(response.url());
    if (url.pathname === "/tasks" && response.request().method() === "GET" && response.ok()) {
      handed.push((await response.json()).next_cursor);
    }
  });
  await logIn(page, user);
  await page.getByText("Showing 1–20 of 41 tasks.").waitFor();
  const next = page.getByRole("button", { name: "Next page" });
  const previous = page.getByRole("button", { name: "Previous page" });
  await next.click();
  await page.getByText("Showing 21–40 of 41 tasks.").waitFor();
  await next.click();
  await page.getByText("Showing 41–41 of 41 tasks.").waitFor();
  assert.deepEqual(await titles(page), ["Row 01"]);
  assert.equal(await next.isDisabled(), true);
  await previous.click();
  await page.getByText("Showing 21–40 of 41 tasks.").waitFor();
  assert.equal((await titles(page))[0], "Row 21");
  await previous.click();
  await page.getByText("Showing 1–20 of 41 tasks.").waitFor();
  assert.equal(sent.length, 5, `list requests: ${sent.map(String)}`);
  for (const params of sent) assert.equal(params.has("offset"), false, `offset sent: ${params}`);
  const cursors = sent.map((params) => params.get("cursor"));
  assert.equal(typeof handed[0], "string", "the first page hands out a cursor");
  assert.equal(handed[2], null, "the last page hands out none");
  // Forward by the cursors handed out; back by the same ones, kept.
  assert.deepEqual(cursors, [null, handed[0], handed[1], handed[0], null]);
  clean(problems);
});

test("complete a task in one click, and delete one after confirming", async () => {
  const user = await newUser("done");
  const token = await tokenFor(user);
  for (const title of ["Water the plants", "Pay the rent"]) {
    await api(server.url, "POST", "/tasks", { token, body: { title } });
  }
  const { page, problems } = await open();
  await logIn(page, user);

  await item(page, "Water the plants").getByRole("button", { name: "Complete “Water the plants”" }).click();
  await item(page, "Water the plants").getByRole("button", { name: /^Reopen/ }).waitFor();
  assert.match(await item(page, "Water the plants").textContent(), /Completed/);
  const { data } = await api(server.url, "GET", "/tasks?status=completed", { token });
  assert.deepEqual(data.tasks.map((t) => t.title), ["Water the plants"]);

  // Cancel keeps the task.
  await item(page, "Pay the rent").getByRole("button", { name: /^Delete/ }).click();
  let dialog = page.getByRole("dialog", { name: "Delete this task?" });
  await dialog.getByText("“Pay the rent” will be deleted for good.").waitFor();
  await screenshot(page, "confirm-delete");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await api(server.url, "GET", "/tasks", { token })).data.total, 2);
  // Escape does too.
  await item(page, "Pay the rent").getByRole("button", { name: /^Delete/ }).click();
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal((await api(server.url, "GET", "/tasks", { token })).data.total, 2);
  // Confirming deletes it.
  await item(page, "Pay the rent").getByRole("button", { name: /^Delete/ }).click();
  dialog = page.getByRole("dialog", { name: "Delete this task?" });
  await dialog.getByRole("button", { name: "Delete" }).click();
  await dialog.waitFor({ state: "hidden" });
  await item(page, "Pay the rent").waitFor({ state: "detached" });
  const left = await api(server.url, "GET", "/tasks", { token });
  assert.deepEqual(left.data.tasks.map((t) => t.title), ["Water the plants"]);
  clean(problems);
});

test("change the password: a wrong current one is reported at its field, the new one logs in", async () => {
  const user = await newUser("pw");
  const { page, problems } = await open();
  await logIn(page, user);
  await page.getByRole("button", { name: "Change password" }).click();
  const dialog = page.getByRole("dialog", { name: "Change password" });
  await dialog.getByLabel("Current password").fill("not-my-password");
  await dialog.getByLabel("New password", { exact: true }).fill("brand-new-pass");
  await dialog.getByLabel("Repeat the new password").fill("brand-new-pass");
  await dialog.getByRole("button", { name: "Change password" }).click();
  await dialog.getByText("Current password is incorrect").waitFor();
  // Still signed in: a wrong password is not an ended session.
  assert.equal(await page.getByRole("heading", { name: "Your tasks" }).isVisible(), true);

  await dialog.getByLabel("Repeat the new password").fill("something-else");
  await dialog.getByRole("button", { name: "Change password" }).click();
  await dialog.getByText("The two new passwords differ.").waitFor();

  await dialog.getByLabel("Current password").fill(user.password);
  await dialog.getByLabel("Repeat the new password").fill("brand-new-pass");
  await dialog.getByRole("button", { name: "Change password" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByText("Password changed,").waitFor();
  // Every session ended with it, this tab's too: back to the login form.
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  const oldLogin = await api(server.url, "POST", "/auth/login", { body: { username: user.username, password: user.password } });
  assert.equal(oldLogin.status, 401);
  const newLogin = await api(server.url, "POST", "/auth/login", { body: { username: user.username, password: "brand-new-pass" } });
  assert.equal(newLogin.status, 200);
  clean(problems, 401);
});

test("log out revokes the token: the API refuses it afterwards", async () => {
  const user = await newUser("bye");
  const { page, problems } = await open();
  await logIn(page, user);
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("taskapi.session")).token);
  assert.equal((await api(server.url, "GET", "/tasks", { token })).status, 200);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.getByText("You have logged out.").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("taskapi.session")), null);
  const refused = await api(server.url, "GET", "/tasks", { token });
  assert.equal(refused.status, 401);
  assert.equal(refused.data.message, "Invalid token");
  // A reload stays logged out.
  await page.reload();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  clean(problems);
});

test("a token revoked elsewhere returns the user to the login form with a message", async () => {
  const user = await newUser("revoked");
  const { page, problems } = await open();
  await logIn(page, user);
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("taskapi.session")).token);
  assert.equal((await api(server.url, "POST", "/auth/logout", { token })).status, 200);

  await choose(page, "Status", "pending"); // any call with the token
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.getByText(/Your session has ended/).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("taskapi.session")), null);
  await logIn(page, user);
  clean(problems, 401);
});

test("an expired session returns the user to the login form with a message", async () => {
  const user = await newUser("expired");
  const { page, problems } = await open();
  await logIn(page, user);
  // As if the hour had passed while the tab was closed: the stored expiry is in the past.
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem("taskapi.session"));
    s.expiresAt = Date.now() - 1000;
    sessionStorage.setItem("taskapi.session", JSON.stringify(s));
  });
  await page.reload();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.getByText("Your session has expired. Please log in again.").waitFor();
  clean(problems);
});

test("at 320 px wide nothing scrolls sideways", async () => {
  const user = await newUser("narrow");
  const token = await tokenFor(user);
  await api(server.url, "POST", "/tasks", {
    token,
    body: { title: "A long title, with words like internationalisation and responsibilities, to wrap", description: "x".repeat(300), priority: "high", due_date: "2030-05-05T05:05:00Z" },
  });
  const { page, problems } = await open({ viewport: { width: 320, height: 640 } });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  assert.equal(await overflow(), 0, "login form");
  await logIn(page, user);
  await page.locator("#task-list li").first().waitFor();
  assert.equal(await overflow(), 0, "task list");
  await screenshot(page, "narrow-list");
  await item(page, "A long title, with words like internationalisation and responsibilities, to wrap").getByRole("button", { name: /^Edit/ }).click();
  const dialog = page.getByRole("dialog", { name: "Edit task" });
  await dialog.waitFor();
  assert.equal(await overflow(), 0, "edit dialog");
  const box = await dialog.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 320, `dialog spans ${box.x}..${box.x + box.width}`);
  await screenshot(page, "narrow-edit");
  clean(problems);
});

test("the app links to the API reference at /docs, which renders every route of the document without a console error", async () => {
  const { data: doc } = await api(server.url, "GET", "/openapi.json");
  const documented = Object.keys(doc.paths).sort();
  assert.ok(documented.includes("/tasks") && documented.includes("/auth/login"), documented.join(", "));
  // The app links to it.
  const { page, problems } = await open();
  await page.getByRole("link", { name: "API reference" }).click();
  await page.waitForURL(`${server.url}/docs`);
  await page.locator(".opblock").first().waitFor();
  const shown = [...new Set(await page.locator(".opblock-summary-path").allTextContents())].sort();
  assert.deepEqual(shown, documented);
  await screenshot(page, "docs");
  clean(problems);
});

/** seedTasks creates tasks through the API for user, oldest first. */
async function seedTasks(user, tasks) {
  const token = await tokenFor(user);
  for (const body of tasks) {
    const res = await api(server.url, "POST", "/tasks", { token, body });
    assert.equal(res.status, 201, JSON.stringify(res.data));
  }
  return token;
}

const params = (page) => Object.fromEntries(new URL(page.url()).searchParams);

test("search from the box, with a filter; reload, Back, Forward and a shared link keep the list", async () => {
  const user = await newUser("search");
  await seedTasks(user, [
    { title: "Bread" },
    { title: "Milk the cow", status: "completed" },
    { title: "Eggs", description: "and (MILK), if any" },
    { title: "Buy milk!" },
    { title: "Milkshake" },
  ]);
  const { page, problems } = await open();
  await logIn(page, user);
  assert.equal((await titles(page)).length, 5);

  await filters(page).getByRole("searchbox", { name: "Search" }).fill("milk");
  await page.getByText("Showing 1–3 of 3 tasks matching “milk”.").waitFor();
  assert.deepEqual(await titles(page), ["Buy milk!", "Eggs", "Milk the cow"]);
  assert.deepEqual(params(page), { q: "milk" });
  await choose(page, "Status", "pending");
  await page.getByText("Showing 1–2 of 2 tasks matching “milk” and the filters.").waitFor();
  assert.deepEqual(params(page), { q: "milk", status: "pending" });

  await page.reload();
  await page.getByText("Showing 1–2 of 2 tasks matching “milk” and the filters.").waitFor();
  assert.deepEqual(await titles(page), ["Buy milk!", "Eggs"]);
  assert.equal(await page.locator("#filter-q").inputValue(), "milk");
  assert.equal(await page.locator("#filter-status").inputValue(), "pending");

  await page.goBack();
  await page.getByText("Showing 1–3 of 3 tasks matching “milk”.").waitFor();
  assert.equal(await page.locator("#filter-status").inputValue(), "");
  await page.goBack();
  await page.getByText("Showing 1–5 of 5 tasks.").waitFor();
  assert.equal(await page.locator("#filter-q").inputValue(), "");
  await page.goForward();
  await page.getByText("Showing 1–3 of 3 tasks matching “milk”.").waitFor();
  assert.equal(await page.locator("#filter-q").inputValue(), "milk");

  await filters(page).getByRole("searchbox", { name: "Search" }).fill("nothing like it");
  await page.getByText("No tasks match “nothing like it”.").waitFor();
  clean(problems);

  // A link shared with someone signed out: the list it names, once logged in.
  const shared = await open();
  await shared.page.goto(`${server.url}/?q=milk&sort=created_at&order=asc&status=pending`);
  await logIn(shared.page, user);
  await shared.page.getByText("Showing 1–2 of 2 tasks matching “milk” and the filters.").waitFor();
  assert.deepEqual(await titles(shared.page), ["Eggs", "Buy milk!"]);
  assert.equal(await shared.page.locator("#filter-sort").inputValue(), "created_at:asc");
  clean(shared.problems);
});

test("the page is in the address: a reload stays on it, Back returns to the one before", async () => {
  const user = await newUser("addr");
  await seedTasks(user, Array.from({ length: 25 }, (_, i) => ({ title: `Note ${String(i + 1).padStart(2, "0")}` })));
  const { page, problems } = await open();
  await logIn(page, user);
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByText("Showing 21–25 of 25 tasks.").waitFor();
  assert.deepEqual(params(page), { page: "2" });
  await page.reload();
  await page.getByText("Showing 21–25 of 25 tasks.").waitFor();
  assert.equal((await titles(page))[0], "Note 05");
  await page.goBack();
  await page.getByText("Showing 1–20 of 25 tasks.").waitFor();
  assert.deepEqual(params(page), {});
  clean(problems);
});

test("due dates read as relative days, with the exact date as a tooltip and on keyboard focus", async () => {
  const user = await newUser("relative");
  // Noon in Paris on 10 March 2030; the browser's clock is held there.
  const now = new Date("2030-03-10T11:00:00Z");
  await seedTasks(user, [
    { title: "Tomorrow", due_date: "2030-03-11T09:00:00Z" },
    { title: "Three days", due_date: "2030-03-13T18:00:00Z" },
    { title: "Late", due_date: "2030-03-08T09:00:00Z" },
    { title: "Late today", due_date: "2030-03-10T08:00:00Z" },
    { title: "Tonight", due_date: "2030-03-10T20:00:00Z" },
    { title: "Done late", due_date: "2030-03-08T09:00:00Z", status: "completed" },
  ]);
  const context = await browser.newContext({ locale: "en-US", timezoneId: "Europe/Paris" });
  const page = await context.newPage();
  pages.push({ context, page });
  const problems = watchConsole(page);
  await page.clock.setFixedTime(now);
  await page.goto(`${server.url}/`);
  await logIn(page, user);
  const due = async (title) => (await item(page, title).locator(".due time").evaluate((t) => t.firstChild.textContent));
  assert.equal(await due("Tomorrow"), "Due tomorrow");
  assert.equal(await due("Three days"), "Due in 3 days");
  assert.equal(await due("Late"), "Overdue by 2 days");
  assert.equal(await due("Late today"), "Overdue by 3 hours");
  assert.equal(await due("Tonight"), "Due today");
  assert.equal(await due("Done late"), "Was due 2 days ago");
  assert.equal(await item(page, "Late").locator(".due").getAttribute("class"), "due overdue");
  assert.equal(await item(page, "Done late").locator(".due").getAttribute("class"), "due");

  const time = item(page, "Three days").locator(".due time");
  // Hover: the title is the browser's tooltip. Focus: the date is shown beside.
  assert.match(await time.getAttribute("title"), /^Mar 13, 2030, 7:00\sPM$/);
  const after = () => time.evaluate((t) => getComputedStyle(t, "::after").content);
  assert.equal(await after(), "none");
  await time.focus();
  assert.match(await after(), /Mar 13, 2030, 7:00\s?PM/);
  await page.locator("#tasks-heading").focus();
  assert.equal(await after(), "none");
  // Screen readers hear the exact date too.
  assert.match(await time.textContent(), /^Due in 3 days \(Mar 13, 2030, 7:00\s?PM\)$/);
  clean(problems);
});

test("a slow list says it is loading, and then shows the tasks", async () => {
  const user = await newUser("slow");
  await seedTasks(user, [{ title: "Worth the wait" }]);
  const { page, problems, context } = await open();
  await logIn(page, user);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await context.route(/\/tasks\?/, async (route) => {
    await held;
    await route.continue();
  });
  await choose(page, "Priority", "medium").catch(() => {}); // settles once released
  const summary = page.locator("#list-summary");
  await page.getByText("Loading tasks…").waitFor();
  assert.equal(await page.locator("#task-list").getAttribute("class"), "task-list loading");
  assert.equal(await page.locator("#tasks-view").getAttribute("aria-busy"), "true");
  release();
  await page.getByText("Showing 1–1 of 1 task matching the filters.").waitFor();
  assert.equal(await page.locator("#task-list").getAttribute("class"), "task-list");
  assert.notEqual(await summary.textContent(), "Loading tasks…");
  clean(problems);
});

test("a field's error goes as soon as the field is fixed, before submitting again", async () => {
  const { page, problems } = await open();
  await page.getByRole("button", { name: "Create an account" }).click();
  const form = page.locator("#register-form");
  await form.getByRole("button", { name: "Create account" }).click();
  const error = (field) => form.locator(`.field-error[data-error-for="${field}"]`);
  await error("username").waitFor();
  await error("password").waitFor();
  await form.getByLabel("Username").fill("fixed_name");
  await error("username").waitFor({ state: "hidden" });
  assert.equal(await form.getByLabel("Username").getAttribute("aria-invalid"), null);
  await form.getByLabel("Password").fill("short");
  assert.equal(await error("password").textContent(), "Password must be at least 8 characters");
  assert.equal(await form.getByLabel("Password").getAttribute("aria-invalid"), "true");
  await form.getByLabel("Password").fill("long enough now");
  await error("password").waitFor({ state: "hidden" });

  const user = await newUser("live");
  await page.locator("#show-login").click();
  await logIn(page, user);
  await page.getByRole("button", { name: "New task" }).click();
  const dialog = page.getByRole("dialog", { name: "New task" });
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.getByText("Title is required").waitFor();
  await dialog.getByLabel("Title").fill("S");
  await dialog.getByText("Title is required").waitFor({ state: "hidden" });
  await dialog.getByLabel("Title").fill(" ");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.getByText("Title is required").waitFor();
  await page.keyboard.press("Escape");
  clean(problems, 400);
});

test("logging out clears the last session's toast", async () => {
  const user = await newUser("toast");
  await seedTasks(user, [{ title: "Quick one" }]);
  const { page, problems } = await open();
  await logIn(page, user);
  await item(page, "Quick one").getByRole("button", { name: /^Complete/ }).click();
  await page.locator("#toast", { hasText: "Completed “Quick one”." }).waitFor();
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByText("You have logged out.").waitFor();
  assert.equal(await page.locator("#toast").textContent(), "");
  assert.equal(await page.locator("#toast").isVisible(), false);
  clean(problems);
});

test("a change still on its way when the user logs out confirms nothing on the logged-out screen", async () => {
  const user = await newUser("late");
  await seedTasks(user, [{ title: "Late one" }]);
  const { page, problems, context } = await open();
  await logIn(page, user);
  // The update reaches the server, but its answer is held until the user has logged out.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let sent;
  const updating = new Promise((resolve) => { sent = resolve; });
  await context.route(/\/tasks\/\d+$/, async (route) => {
    if (route.request().method() !== "PUT") return route.continue();
    const response = await route.fetch();
    sent();
    await held;
    await route.fulfill({ response });
  });
  await item(page, "Late one").getByRole("button", { name: /^Complete/ }).click();
  await updating;
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByText("You have logged out.").waitFor();
  release();
  // The held answer lands now; give it time to draw anything it would.
  await page.waitForTimeout(300);
  assert.equal(await page.locator("#toast").textContent(), "");
  assert.equal(await page.locator("#task-list li").count(), 0);
  assert.equal(await page.locator("#list-error").isVisible(), false);
  // The next person to log in on this tab starts clean too.
  const other = await newUser("next");
  await logIn(page, other);
  assert.equal(await page.locator("#toast").textContent(), "");
  clean(problems);
});

test("on a phone: one-row header with Log out, filters behind a button, a dense list", async () => {
  const user = await newUser("phone");
  await seedTasks(user, Array.from({ length: 8 }, (_, i) => ({
    title: `Phone task ${i + 1}`,
    description: "A description long enough to need more than two lines on a phone screen, which the dense list cuts short.",
    priority: ["low", "medium", "high"][i % 3],
    ...(i % 2 ? { due_date: "2031-01-01T10:00:00Z" } : {}),
  })));
  for (const width of [320, 390]) {
    const { page, problems } = await open({ viewport: { width, height: 740 } });
    await logIn(page, user);
    await screenshot(page, `phone-${width}-top`);
    const box = (locator) => locator.boundingBox();
    const brand = await box(page.locator(".brand"));
    const logout = await box(page.getByRole("button", { name: "Log out" }));
    // Log out shares the brand's row, at its right end.
    assert.ok(Math.abs((logout.y + logout.height / 2) - (brand.y + brand.height / 2)) < 8, `Log out at y=${logout.y}, brand at y=${brand.y}`);
    assert.ok(logout.x + logout.width <= width && logout.x > width / 2, `Log out spans ${logout.x}..${logout.x + logout.width}`);
    const header = await box(page.locator(".topbar"));
    assert.ok(header.height < 100, `header ${header.height}px high`);
    await screenshot(page, `phone-${width}-top`);

    // Filters fold behind a button; search stays in view.
    const toggle = page.getByRole("button", { name: "Filters" });
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    assert.equal(await page.locator("#filter-status").isVisible(), false);
    assert.equal(await page.locator("#filter-q").isVisible(), true);
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    await choose(page, "Priority", "high");
    await page.getByText("Showing 1–2 of 2 tasks matching the filters.").waitFor();
    assert.equal(await page.getByRole("button", { name: "Filters (1)" }).isVisible(), true);
    await choose(page, "Priority", "");
    await toggle.click();
    assert.equal(await page.locator("#filter-status").isVisible(), false);

    // Dense: several whole tasks on the first screen.
    const fits = await page.locator("#task-list li").evaluateAll((items) =>
      items.filter((li) => li.getBoundingClientRect().bottom <= window.innerHeight).length);
    assert.ok(fits >= 3, `${fits} whole tasks on a ${width}×740 screen`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
    await screenshot(page, `phone-${width}`);
    clean(problems);
  }
});

test("axe finds no accessibility violation on any screen, wide or on a phone", async () => {
  const user = await newUser("axe");
  await seedTasks(user, [
    { title: "Overdue one", due_date: "2020-01-01T10:00:00Z", priority: "high" },
    { title: "Later one", description: "with a description that is long enough to be cut short on a phone", due_date: "2099-01-01T10:00:00Z" },
    { title: "Done one", status: "completed", priority: "low" },
  ]);
  for (const viewport of [{ width: 1280, height: 900 }, { width: 320, height: 740 }]) {
    const where = `${viewport.width} px`;
    const { page, problems } = await open({ viewport });
    assert.deepEqual(await axeViolations(page), [], `login, ${where}`);
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.locator("#register-form").getByRole("button", { name: "Create account" }).click();
    await page.locator('#register-form .field-error[data-error-for="username"]').waitFor();
    assert.deepEqual(await axeViolations(page), [], `register with errors, ${where}`);
    await page.locator("#show-login").click();
    await logIn(page, user);
    assert.deepEqual(await axeViolations(page), [], `list, ${where}`);
    if (viewport.width < 400) await page.getByRole("button", { name: "Filters" }).click();
    await filters(page).getByRole("searchbox", { name: "Search" }).fill("one");
    await page.getByText("Showing 1–3 of 3 tasks matching “one”.").waitFor();
    await item(page, "Later one").locator(".due time").focus();
    assert.deepEqual(await axeViolations(page), [], `search, filters open, a due date focused, ${where}`);
    await item(page, "Later one").getByRole("button", { name: /^Edit/ }).click();
    await page.getByRole("dialog", { name: "Edit task" }).waitFor();
    await page.getByRole("dialog", { name: "Edit task" }).getByLabel("Title").fill("");
    await page.getByRole("dialog", { name: "Edit task" }).getByRole("button", { name: "Save" }).click();
    await page.getByRole("dialog", { name: "Edit task" }).getByText("Title is required").waitFor();
    assert.deepEqual(await axeViolations(page), [], `editor with an error, ${where}`);
    await page.keyboard.press("Escape");
    clean(problems, 400);
  }
});
