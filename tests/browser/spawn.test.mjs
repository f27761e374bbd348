// issue #4's `login_spawn_lab_runs_cell`: in headless Chromium a user logs in, presses Start,
// sees the progress page, lands in JupyterLab at /user/<name>/lab (a real
// jupyterhub-singleuser 6.1.1), opens a notebook, runs `import os; os.getuid()` and sees the
// uid of their own Unix account. As root the hub creates that account (create_system_users)
// and this test deletes it; otherwise the server runs as the current user.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { PEERS_VENV, launchBrowser, login, USER_PASSWORD, withHub } from "./hub.mjs";

const isRoot = process.getuid() === 0;
const NAME = `gbr${randomBytes(3).toString("hex")}`;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => {
  await browser?.close();
  if (isRoot) {
    try { execFileSync("userdel", ["-r", NAME], { stdio: "ignore" }); } catch { /* never created */ }
  }
});

function uidOf(name) {
  if (!isRoot) return process.getuid();
  return Number(execFileSync("id", ["-u", name]).toString().trim());
}

test("login_spawn_lab_runs_cell", async () => {
  const settings = [
    `authenticator.allowed_users=["${NAME}"]`,
    `spawner.cmd=["${PEERS_VENV}/bin/jupyterhub-singleuser"]`,
    "spawner.default_url=/lab",
    `spawner.create_system_users=${isRoot}`,
    "spawner.http_timeout=90",
  ];
  await withHub(browser, "spawn", async ({ page }) => {
    const wsLog = [];
    page.on("websocket", (ws) => {
      wsLog.push(`open ${ws.url()}`);
      ws.on("close", () => wsLog.push(`close ${ws.url()}`));
      ws.on("socketerror", (e) => wsLog.push(`error ${ws.url()} ${e}`));
    });
    page.on("response", (r) => { if (r.status() >= 400) wsLog.push(`${r.status()} ${r.url()}`); });
    await login(page, NAME, USER_PASSWORD);
    const row = page.locator("#servers tbody tr").first();
    assert.match(await row.locator(".status").innerText(), /not running/);

    // Start: the spawn page posts itself, then the progress page follows the event stream.
    await row.locator(".start-server").click();
    await page.waitForURL(/\/hub\/spawn-pending\//);
    await page.locator("#progress-message").waitFor();
    await page.waitForURL(new RegExp(`/user/${NAME}/lab`), { timeout: 120_000 });

    // JupyterLab: a new notebook from the launcher, one cell, Shift+Enter.
    await page.locator('.jp-LauncherCard[data-category="Notebook"]').first().click({ timeout: 90_000 });
    const editor = page.locator(".jp-Notebook .jp-Cell .cm-content").first();
    await editor.waitFor({ timeout: 60_000 });
    // The kernel must be idle before the cell runs, or the output races the startup.
    await page.getByText(/\| Idle/).first().waitFor({ timeout: 90_000 });
    await editor.click();
    await page.keyboard.type("import os; os.getuid()");
    await page.keyboard.press("Shift+Enter");
    const output = page.locator(".jp-OutputArea-output").first();
    try {
      await output.waitFor({ timeout: 30_000 });
    } catch (e) {
      e.message += "\n--- websockets and failed requests:\n" + wsLog.join("\n");
      throw e;
    }
    assert.equal((await output.innerText()).trim(), String(uidOf(NAME)));

    // Stop the server again through the API, as the home page's Stop button does.
    const xsrf = await page.context().cookies().then((cs) => cs.find((c) => c.name === "_xsrf" && c.path === "/hub/")?.value);
    const stop = await page.request.delete(`/hub/api/users/${NAME}/server`, { headers: { "X-XSRFToken": xsrf ?? "" } });
    assert.ok([202, 204].includes(stop.status()), `stop: ${stop.status()} ${await stop.text()}`);
  }, settings, 30_000);
});
