// The static build (make web-dist) on its own origin, as on S3/CloudFront,
// calling the API on another origin through config.js's apiBase and the
// API's CORS allowlist: the one value a deployer sets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, watchConsole, api } from "./harness.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml" };

let dist;
let site;
let siteOrigin;
let apiServer;
let browser;

/** serve answers GET for the files under dir, with the CSP a CDN would add. */
function serve(dir, csp) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const rel = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream", "Content-Security-Policy": csp() });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

before(async () => {
  dist = mkdtempSync(path.join(tmpdir(), "taskapi-web-dist-"));
  site = await serve(dist, () =>
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src ${apiServer.url}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  siteOrigin = `http://127.0.0.1:${site.address().port}`;
  apiServer = await startServer({ CORS_ALLOWED_ORIGINS: siteOrigin });
  execFileSync("make", ["-s", "web-dist", `WEB_DIST=${dist}`, `API_BASE=${apiServer.url}/`], { cwd: repo, stdio: "pipe" });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) await new Promise((resolve) => site.close(resolve));
  if (apiServer) await apiServer.stop();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

test("make web-dist sets the one value, apiBase, in config.js", () => {
  const config = readFileSync(path.join(dist, "config.js"), "utf8");
  assert.match(config, new RegExp(`^  apiBase: "${apiServer.url}",$`, "m"));
  assert.equal(readFileSync(path.join(dist, "index.html"), "utf8"), readFileSync(path.join(repo, "web/static/index.html"), "utf8"));
});

test("the static copy on its own origin registers, logs in and manages tasks through the API's CORS allowlist", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  const problems = watchConsole(page);
  const apiCalls = [];
  page.on("request", (req) => { if (req.url().startsWith(apiServer.url)) apiCalls.push(`${req.method()} ${new URL(req.url()).pathname}`); });
  await page.goto(`${siteOrigin}/`);
  // The link to the API reference points at the API, not at the bucket.
  assert.equal(await page.getByRole("link", { name: "API reference" }).getAttribute("href"), `${apiServer.url}/docs`);
  const username = `static_${process.pid}`;
  await page.getByRole("button", { name: "Create an account" }).click();
  const form = page.locator("#register-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Email").fill(`${username}@example.com`);
  await form.getByLabel("Password").fill("static-password");
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Your tasks" }).waitFor();

  await page.getByRole("button", { name: "New task" }).click();
  const dialog = page.getByRole("dialog", { name: "New task" });
  await dialog.getByLabel("Title").fill("Served from a bucket");
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.locator("#task-list li", { hasText: "Served from a bucket" }).waitFor();
  // Edit sends If-Match: a header the CORS preflight must allow.
  await page.getByRole("button", { name: /^Edit/ }).click();
  await page.getByRole("dialog", { name: "Edit task" }).getByLabel("Title").fill("Edited from a bucket");
  await page.getByRole("dialog", { name: "Edit task" }).getByRole("button", { name: "Save" }).click();
  await page.locator("#task-list li", { hasText: "Edited from a bucket" }).waitFor();
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("taskapi.session")).token);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByText("You have logged out.").waitFor();

  assert.ok(apiCalls.includes("POST /auth/register") && apiCalls.includes("PUT /tasks/1") && apiCalls.includes("POST /auth/logout"), apiCalls.join(", "));
  assert.equal((await api(apiServer.url, "GET", "/tasks", { token })).status, 401);
  const again = await api(apiServer.url, "POST", "/auth/login", { body: { username, password: "static-password" } });
  const { data } = await api(apiServer.url, "GET", "/tasks", { token: again.data.token });
  assert.deepEqual(data.tasks.map((t) => t.title), ["Edited from a bucket"]);
  assert.deepEqual(problems, []);
  await context.close();
});
