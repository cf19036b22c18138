// Quick look: screenshots of the app's screens at desktop and 320 px,
// against a running server (BASE_URL, e.g. http://127.0.0.1:3701).
import { launchBrowser, screenshot, api } from "./harness.mjs";

const base = process.env.BASE_URL;
const browser = await launchBrowser();
const user = `look${Date.now()}`;
await api(base, "POST", "/auth/register", { body: { username: user, email: `${user}@example.com`, password: "look-pass-1" } });
const { data } = await api(base, "POST", "/auth/login", { body: { username: user, password: "look-pass-1" } });
const prios = ["low", "medium", "high"];
const statuses = ["pending", "in_progress", "completed"];
for (let i = 0; i < 23; i++) {
  await api(base, "POST", "/tasks", { token: data.token, body: {
    title: i === 3 ? "A rather long task title that goes on and on to see how wrapping behaves at narrow widths" : `Task number ${i + 1}`,
    description: i % 4 === 0 ? "Some description text\nwith two lines" : undefined,
    priority: prios[i % 3], status: statuses[i % 3],
    due_date: i % 2 ? `2026-${String((i % 12) + 1).padStart(2, "0")}-15T09:30:00Z` : undefined,
  } });
}
for (const [w, h, tag] of [[1280, 900, "desktop"], [320, 640, "320"]]) {
  const ctx = await browser.newContext({ viewport: { width: w, height: h } });
  const page = await ctx.newPage();
  page.on("console", (m) => console.log(tag, m.type(), m.text()));
  page.on("pageerror", (e) => console.log(tag, "pageerror", e.message));
  await page.goto(base + "/");
  await screenshot(page, `${tag}-login`);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForTimeout(300);
  await screenshot(page, `${tag}-register-errors`);
  await page.locator("#show-login").click();
  await page.locator("#login-username").fill(user);
  await page.locator("#login-password").fill("look-pass-1");
  await page.locator("#login-form button[type=submit]").click();
  await page.getByText("Showing").waitFor();
  await screenshot(page, `${tag}-list`);
  await page.getByRole("button", { name: "New task" }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await screenshot(page, `${tag}-new-task-error`);
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: /^Delete/ }).first().click();
  await screenshot(page, `${tag}-delete`);
  await ctx.close();
}
await browser.close();
