// What every browser test needs: a real taskapi server (the built binary,
// SERVICE=all, SQLite in a temporary directory, a free loopback port) and
// the system's headless Chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");

/** The binary under test: TASKAPI_BIN, else bin/taskapi (make build). */
export const binary = process.env.TASKAPI_BIN || path.join(repo, "bin/taskapi");
/** Debian's chromium package; never a downloaded browser. */
export const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
/** Screenshots go here (git-ignored), for people to look at. */
export const shotsDir = process.env.E2E_SCREENSHOTS || path.join(here, "screenshots");

/**
 * startServer runs the binary on 127.0.0.1:0 and resolves once it logs
 * "server started" with its address: {url, stop(), logs()}.
 */
export async function startServer(extraEnv = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "taskapi-e2e-"));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || dir,
    SERVICE: "all",
    HOST: "127.0.0.1",
    PORT: "0",
    SQLITE_PATH: path.join(dir, "taskapi.db"),
    LOG_FORMAT: "json",
    BCRYPT_COST: "4", // the lowest bcrypt allows: tests log in often
    METRICS_INTERVAL: "1h",
    // Every test signs up its own users, all from 127.0.0.1: the default
    // registration limit per address (10 an hour) would refuse the later ones.
    REGISTER_IP_MAX: "100000",
    ...extraEnv,
  };
  const child = spawn(binary, [], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      for (const line of output.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const rec = JSON.parse(line);
          if (rec.msg === "server started" && rec.addr) {
            clearTimeout(timer);
            resolve(`http://${rec.addr}`);
            return;
          }
        } catch {
          // a partial line: wait for the rest
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => { clearTimeout(timer); reject(err); });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)); });
  });
  return {
    url,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** launchBrowser starts headless Chromium from the system package. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/**
 * watchConsole collects the page's console errors, uncaught exceptions and
 * CSP violations; allow lists the messages a test provokes on purpose.
 */
export function watchConsole(page) {
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  return problems;
}

/** screenshot saves a full-page PNG under shotsDir. */
export async function screenshot(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
}

/** api calls the server directly, as another client of the same account would. */
export async function api(base, method, route, { token, body, headers = {} } = {}) {
  const res = await fetch(base + route, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, data: text ? JSON.parse(text) : null };
}

// axe-core's source, evaluated in the page through the DevTools protocol
// (which the page's CSP does not govern: the page itself still runs no
// inline script).
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axeViolations runs axe-core's WCAG 2.x A and AA rules (and its best
 * practices) on the page as it is and returns each violation as
 * "rule-id: target, target…", [] when there is none.
 */
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  return violations;
}
