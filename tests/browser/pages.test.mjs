// The hub's pages in headless Chromium against a real `ganymede serve`: every step checks what
// the page shows (text in the DOM), not only status codes.
//
//   node --test tests/browser/
//
// See hub.mjs for the environment (GANYMEDE_BIN, CHROMIUM_BIN, NODE_PATH).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ADMIN, ADMIN_PASSWORD, USER, USER_PASSWORD, launchBrowser, login, withHub } from "./hub.mjs";

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** The page's XSRF token, for cookie-authenticated API calls as the page's own script makes. */
async function xsrf(page) {
  return page.locator("body").getAttribute("data-xsrf");
}

async function apiGet(page, path) {
  return page.request.get(`/hub/api${path}`, { headers: { "X-XSRFToken": await xsrf(page) } });
}

test("admin logs in through the form and lands on the home page", async () => {
  await withHub(browser, "login", async ({ page }) => {
    // A wrong password shows the form again with the error.
    await page.goto("/hub/login");
    await page.locator("#username_input").fill(ADMIN);
    await page.locator("#password_input").fill("not-the-password");
    await page.locator("#login_submit").click();
    await page.locator("#login-error").waitFor();
    assert.match(await page.locator("#login-error").innerText(), /invalid username or password/i);

    // /hub/home before login goes to the login page, and back to home afterwards.
    await page.goto("/hub/home");
    assert.match(new URL(page.url()).pathname, /\/hub\/login$/);
    await page.locator("#username_input").fill(ADMIN);
    await page.locator("#password_input").fill(ADMIN_PASSWORD);
    await Promise.all([page.waitForURL("**/hub/home"), page.locator("#login_submit").click()]);
    assert.equal(await page.locator("#whoami").innerText(), ADMIN);
    assert.equal(await page.locator("main h1").innerText(), "Your servers");
    assert.ok(await page.locator("nav a", { hasText: "Admin" }).isVisible(), "an admin sees the Admin link");
  });
});

test("token page: create a token with a note, see it, use it, revoke it", async () => {
  await withHub(browser, "token", async ({ page, hub }) => {
    await login(page, ADMIN, ADMIN_PASSWORD);
    await page.locator("nav a", { hasText: "Token" }).click();
    await page.waitForURL("**/hub/token");
    const note = "browser-test-token";
    await page.locator("#token-note").fill(note);
    await page.locator("#request-token").click();

    const result = page.locator("#token-result");
    await result.waitFor({ state: "visible" });
    const token = (await result.innerText()).trim();
    assert.match(token, /^\S{32,}$/, `a token is shown, got ${JSON.stringify(token)}`);
    const row = page.locator("#api-tokens tbody tr", { hasText: note });
    await row.waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await page.locator("#token-error").isVisible(), false);

    // The shown value is a working token for this user.
    const me = await fetch(`${hub.url}/hub/api/user`, { headers: { Authorization: `token ${token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).name, ADMIN);

    await row.locator("button", { hasText: "Revoke" }).click();
    await row.waitFor({ state: "detached" });
    assert.equal(await page.locator("#api-tokens tbody tr", { hasText: note }).count(), 0);
    assert.equal(await page.locator("#token-error").isVisible(), false);
    const revoked = await fetch(`${hub.url}/hub/api/user`, { headers: { Authorization: `token ${token}` } });
    assert.equal(revoked.status, 403, "the revoked token no longer works");

    // After a reload the list still does not have it.
    const listed = page.waitForResponse((r) => r.url().endsWith(`/hub/api/users/${ADMIN}/tokens`) && r.request().method() === "GET");
    await page.reload();
    const list = await (await listed).json();
    assert.ok(!list.api_tokens.some((t) => t.note === note), JSON.stringify(list));
    await page.locator("#api-tokens").waitFor();
    assert.equal(await page.locator("#api-tokens tbody tr", { hasText: note }).count(), 0);
  });
});

test("admin page lists users and adds one through its form", async () => {
  await withHub(browser, "admin", async ({ page }) => {
    await login(page, ADMIN, ADMIN_PASSWORD);
    await page.locator("nav a", { hasText: "Admin" }).click();
    await page.waitForURL("**/hub/admin");
    const names = page.locator("#users tbody td.user-name");
    await page.locator("#users tbody tr[data-user]").first().waitFor();
    assert.deepEqual((await names.allInnerTexts()).sort(), [ADMIN, USER].sort());
    const adminRow = page.locator(`#users tbody tr[data-user="${ADMIN}"]`);
    assert.match(await adminRow.innerText(), /admin/);
    assert.match(await page.locator("#page-info").innerText(), /of 2$/);

    await page.locator("#add-users").fill("bob");
    await page.locator("#add-users-submit").click();
    const bob = page.locator('#users tbody tr[data-user="bob"]');
    await bob.waitFor();
    assert.equal(await bob.locator("td.user-name").innerText(), "bob");
    assert.match(await page.locator("#admin-message").innerText(), /Added bob/);
    assert.equal(await page.locator("#add-users").inputValue(), "", "the form is cleared");

    const api = await apiGet(page, "/users/bob");
    assert.equal(api.status(), 200, await api.text());
    const model = await api.json();
    assert.equal(model.name, "bob");
    assert.equal(model.admin, false);
  });
});

test("logout returns to the login page and ends the session", async () => {
  await withHub(browser, "logout", async ({ page }) => {
    await login(page, ADMIN, ADMIN_PASSWORD);
    await Promise.all([page.waitForURL("**/hub/login"), page.locator("#logout").click()]);
    await page.locator("#login-form").waitFor();
    assert.equal(await page.locator("#login-form h1").innerText(), "Sign in");
    assert.equal(await page.locator("#whoami").count(), 0);

    const home = await page.goto("/hub/home");
    assert.equal(home.status(), 200);
    const url = new URL(page.url());
    assert.equal(url.pathname, "/hub/login");
    assert.equal(url.searchParams.get("next"), "/hub/home");
    await page.locator("#login-form").waitFor();
    // The chain of redirects that led here started with a 302 from /hub/home.
    const first = home.request().redirectedFrom();
    assert.ok(first, "/hub/home redirected");
    assert.equal(new URL(first.url()).pathname, "/hub/home");
    assert.equal((await first.response()).status(), 302);
  });
});

test("a normal user logs in and gets 403 on the admin page", async () => {
  await withHub(browser, "forbidden", async ({ page }) => {
    await login(page, USER, USER_PASSWORD);
    assert.equal(await page.locator("#whoami").innerText(), USER);
    assert.equal(await page.locator("nav a", { hasText: "Admin" }).count(), 0, "no Admin link for a normal user");

    const response = await page.goto("/hub/admin");
    assert.equal(response.status(), 403);
    assert.match(await page.locator("main h1").innerText(), /403/);
    assert.match(await page.locator("#error-message").innerText(), /permission to access the admin page/);
    assert.equal(await page.locator("#users").count(), 0, "no user table");
  });
});
