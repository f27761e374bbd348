// issue #4's options form: with `spawner.profiles`, the spawn page shows the profiles as radio
// buttons (the default one checked) instead of starting at once; the user picks a non-default
// profile, presses Start, and the server (tests/e2e/fixtures/fake_singleuser.py, which answers
// with its arguments and FAKE_SINGLEUSER_* variables) runs with that profile's overrides, and
// the hub's API shows the choice as the server's user_options. As root the hub creates the
// user's Unix account (create_system_users) and this test deletes it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { USER_PASSWORD, launchBrowser, login, withHub } from "./hub.mjs";

const isRoot = process.getuid() === 0;
const NAME = `gop${randomBytes(3).toString("hex")}`;
const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../e2e/fixtures/fake_singleuser.py");

let browser;
let shared;
before(async () => {
  browser = await launchBrowser();
  // The server runs as the user's account, which cannot read root's private temp directories.
  shared = mkdtempSync(path.join(tmpdir(), "ganymede-fake-"));
  chmodSync(shared, 0o755);
  copyFileSync(FIXTURE, path.join(shared, "fake_singleuser.py"));
  chmodSync(path.join(shared, "fake_singleuser.py"), 0o644);
});
after(async () => {
  await browser?.close();
  if (shared) rmSync(shared, { recursive: true, force: true });
  if (isRoot) {
    try { execFileSync("userdel", ["-r", NAME], { stdio: "ignore" }); } catch { /* never created */ }
  }
});

test("profile_form_starts_the_chosen_profile", async () => {
  const profiles = "[" +
    '{ slug = "small", display_name = "Small", description = "The everyday one", default = true }, ' +
    '{ slug = "large", display_name = "Large", description = "More of <everything>", spawner_override = ' +
    '{ args = ["--profile-large"], environment = { FAKE_SINGLEUSER_PROFILE = "large" }, default_url = "/tree" } }' +
    "]";
  const settings = [
    `authenticator.allowed_users=["${NAME}"]`,
    `spawner.cmd=["/usr/bin/python3", "${path.join(shared, "fake_singleuser.py")}"]`,
    `spawner.create_system_users=${isRoot}`,
    `spawner.profiles=${profiles}`,
  ];
  await withHub(browser, "options", async ({ page }) => {
    await login(page, NAME, USER_PASSWORD);
    const row = page.locator("#servers tbody tr").first();
    await row.locator(".start-server").click();

    // The form waits for a choice: the default profile is checked, the other is not.
    await page.waitForURL(/\/hub\/spawn/);
    const form = page.locator("form#spawn_form");
    await form.waitFor();
    assert.equal(await page.locator("main h1").innerText(), "Server Options");
    const small = page.locator("#profile-item-small");
    const large = page.locator("#profile-item-large");
    assert.equal(await small.isChecked(), true, "the default profile is preselected");
    assert.equal(await large.isChecked(), false);
    const largeLabel = page.locator('label[for="profile-item-large"]');
    assert.match(await largeLabel.innerText(), /Large/);
    assert.match(await largeLabel.innerText(), /More of <everything>/, "the description is shown as text");
    assert.match(new URL(page.url()).pathname, /^\/hub\/spawn/, "nothing submitted the form by itself");

    await largeLabel.click();
    assert.equal(await large.isChecked(), true);
    await page.locator("#spawn-button").click();

    // The progress page, then the server itself, which reports how it was started.
    await page.waitForURL(new RegExp(`/user/${NAME}/`), { timeout: 30_000 });
    const seen = JSON.parse(await page.locator("body").innerText());
    assert.equal(seen.user, NAME);
    assert.deepEqual(seen.argv, ["--profile-large"]);
    assert.deepEqual(seen.env, { FAKE_SINGLEUSER_PROFILE: "large" });
    assert.equal(seen.default_url, "/tree");

    // The choice is the server's user_options in the hub's API.
    await page.goto("/hub/home");
    const xsrf = await page.locator("body").getAttribute("data-xsrf");
    const headers = { "X-XSRFToken": xsrf };
    const model = await page.request.get(`/hub/api/users/${NAME}`, { headers });
    assert.equal(model.status(), 200, await model.text());
    assert.deepEqual((await model.json()).servers[""].user_options, { profile: "large" });

    const stop = await page.request.delete(`/hub/api/users/${NAME}/server`, { headers });
    assert.ok([202, 204].includes(stop.status()), `stop: ${stop.status()} ${await stop.text()}`);
  }, settings, 20_000);
});
