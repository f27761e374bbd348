// Shared helpers for the browser tests: a real `ganymede serve` per test, headless Chromium
// through playwright-core, and failure reports with the hub's log tail and a screenshot.
//
// Environment:
//   GANYMEDE_BIN        the binary under test (default: <repo>/target/debug/ganymede)
//   CHROMIUM_BIN        the browser (default: /usr/bin/chromium)
//   NODE_PATH           where playwright-core is installed (default: PLAYWRIGHT_NODE_PATH from
//                       $GANYMEDE_PEERS_DIR/env, which scripts/peers.sh writes)
//
// Missing peers are a failure, not a skip: run `bash scripts/peers.sh` first.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PEERS_DIR = process.env.GANYMEDE_PEERS_DIR || "/var/cache/ganymede-peers";
const START_TIMEOUT_MS = 20_000;
const LOG_TAIL_LINES = 40;

export const GANYMEDE_BIN = process.env.GANYMEDE_BIN || path.join(ROOT, "target/debug/ganymede");
export const PEERS_VENV = process.env.PEERS_VENV || peersFact("PEERS_VENV") || "/var/cache/ganymede-peers/venv";
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || peersFact("CHROMIUM_BIN") || "/usr/bin/chromium";
export const ADMIN = "admin";
export const USER = "alice";
export const USER_PASSWORD = "browser-user-password";
export const ADMIN_PASSWORD = "browser-admin-password-0123456789abcdef";

function peersFact(key) {
  const file = path.join(PEERS_DIR, "env");
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && line.slice(0, eq).trim() === key) return line.slice(eq + 1).trim();
  }
  return undefined;
}

/** playwright-core from NODE_PATH, else from the peers' node_modules. */
export function loadPlaywright() {
  const require = createRequire(import.meta.url);
  try {
    return require("playwright-core");
  } catch (first) {
    const dir = peersFact("PLAYWRIGHT_NODE_PATH");
    if (dir) return require(path.join(dir, "playwright-core"));
    throw new Error(`playwright-core not found (NODE_PATH=${process.env.NODE_PATH || ""}, no ` +
      `PLAYWRIGHT_NODE_PATH in ${PEERS_DIR}/env): run \`bash scripts/peers.sh\` first (${first.message})`);
  }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM_BIN)) throw new Error(`${CHROMIUM_BIN} missing: run \`bash scripts/peers.sh\` first`);
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM_BIN, args: ["--no-sandbox"], headless: true });
}

/**
 * Starts `ganymede serve` in a fresh data directory, on ports the OS picks, with the
 * shared-password authenticator, ADMIN as an admin and USER as an allowed user. Resolves once
 * the hub answers `/hub/api/` through its proxy.
 */
export async function startHub(extraSettings = []) {
  if (!existsSync(GANYMEDE_BIN)) throw new Error(`GANYMEDE_BIN=${GANYMEDE_BIN} does not exist: build it (cargo build)`);
  const dir = mkdtempSync(path.join(tmpdir(), "ganymede-browser-"));
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    // GANYMEDE_SECTION__KEY variables are config: only the command line below counts.
    if (key.startsWith("GANYMEDE_") || ["RUST_LOG", "JPY_COOKIE_SECRET", "CONFIGPROXY_AUTH_TOKEN", "JUPYTERHUB_CRYPT_KEY"].includes(key)) delete env[key];
  }
  const settings = [
    "hub.bind_url=http://127.0.0.1:0/",
    "hub.hub_bind_url=http://127.0.0.1:0/",
    "proxy.api_url=http://127.0.0.1:0/",
    `authenticator.admin_users=["${ADMIN}"]`,
    `authenticator.allowed_users=["${USER}"]`,
    `authenticator.shared_password.user_password=${USER_PASSWORD}`,
    `authenticator.shared_password.admin_password=${ADMIN_PASSWORD}`,
    // Tests that start servers say which command; the others must not prepare a venv.
    'spawner.cmd=["/bin/false"]',
    ...extraSettings,
  ];
  const child = spawn(GANYMEDE_BIN, ["serve", ...settings.flatMap((s) => ["--set", s])], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = [];
  let exited = null;
  const onLine = (chunk) => {
    // eslint-disable-next-line no-control-regex
    for (const line of chunk.toString().split("\n")) if (line) log.push(line.replace(/\x1b\[[0-9;]*m/g, ""));
  };
  child.stdout.on("data", onLine);
  child.stderr.on("data", onLine);
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => { exited = { code, signal }; resolve(); }));
  child.on("error", (error) => { exited = { error }; log.push(String(error)); });

  const hub = {
    url: null,
    dir,
    logTail: () => log.slice(-LOG_TAIL_LINES).join("\n"),
    async stop() {
      if (exited === null) {
        child.kill("SIGTERM");
        const killed = setTimeout(() => { if (exited === null) child.kill("SIGKILL"); }, 5000);
        await exit;
        clearTimeout(killed);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    while (hub.url === null) {
      if (exited !== null) throw new Error(`ganymede serve exited early (${JSON.stringify(exited)})`);
      if (Date.now() > deadline) throw new Error("ganymede serve logged no `Proxying http://` line in time");
      const line = log.find((l) => l.includes("Proxying http://"));
      if (line) hub.url = "http://" + line.split("Proxying http://")[1].split(/\s/)[0];
      else await sleep(50);
    }
    for (;;) {
      if (exited !== null) throw new Error(`ganymede serve exited early (${JSON.stringify(exited)})`);
      try {
        const response = await fetch(`${hub.url}/hub/api/`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`${hub.url}/hub/api/ did not answer 200 in time`);
      await sleep(50);
    }
  } catch (error) {
    const tail = hub.logTail();
    await hub.stop();
    throw new Error(`${error.message}\n--- hub log (last ${LOG_TAIL_LINES} lines) ---\n${tail}`);
  }
  return hub;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `body({ hub, page, context })` with a fresh hub and browser context; on failure adds
 * the page's URL, a screenshot's path and the hub's log tail to the error.
 */
export async function withHub(browser, name, body, extraSettings = [], timeoutMs = 10_000) {
  const hub = await startHub(extraSettings);
  const context = await browser.newContext({ baseURL: hub.url });
  context.setDefaultTimeout(timeoutMs);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  try {
    await body({ hub, page, context });
  } catch (error) {
    let shot = "(no screenshot)";
    try {
      const dir = mkdtempSync(path.join(tmpdir(), "ganymede-browser-failure-"));
      shot = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: 5000 });
    } catch (e) { shot = `(screenshot failed: ${e.message})`; }
    error.message += `\n--- page: ${page.url()}\n--- screenshot: ${shot}` +
      (consoleErrors.length ? `\n--- browser console errors:\n${consoleErrors.join("\n")}` : "") +
      `\n--- hub log (last ${LOG_TAIL_LINES} lines) ---\n${hub.logTail()}`;
    throw error;
  } finally {
    await context.close().catch(() => {});
    await hub.stop();
  }
}

/** Logs in through the login form and waits for the home page. */
export async function login(page, name, password) {
  await page.goto("/hub/login");
  await page.locator("#username_input").fill(name);
  await page.locator("#password_input").fill(password);
  await Promise.all([
    page.waitForURL("**/hub/home"),
    page.locator("#login_submit").click(),
  ]);
}
