// The admin page's groups view in headless Chromium against a real `ganymede serve`: create a
// group, add a member, set a property, see them on the page and in the API, remove the member
// and delete the group.
//
//   node --test tests/browser/
//
// See hub.mjs for the environment (GANYMEDE_BIN, CHROMIUM_BIN, NODE_PATH).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ADMIN, ADMIN_PASSWORD, USER, launchBrowser, login, withHub } from "./hub.mjs";

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function apiGet(page, path) {
  const xsrf = await page.locator("body").getAttribute("data-xsrf");
  return page.request.get(`/hub/api${path}`, { headers: { "X-XSRFToken": xsrf } });
}

test("admin creates a group, edits its members and properties, and deletes it", async () => {
  await withHub(browser, "admin-groups", async ({ page }) => {
    // Confirmation dialogs (delete) are accepted.
    page.on("dialog", (dialog) => dialog.accept());
    await login(page, ADMIN, ADMIN_PASSWORD);
    await page.goto("/hub/admin");
    await Promise.all([page.waitForURL("**/hub/admin/groups"), page.locator("#groups-link").click()]);
    await page.locator("#page-info", { hasText: "no groups" }).waitFor();

    // A name with HTML in it is shown as text.
    const group = 'lab <i>&"x';
    await page.locator("#new-group-name").fill(group);
    await page.locator("#create-group").click();
    const row = page.locator("#groups tbody tr").filter({ has: page.locator("a.group-link", { hasText: group }) });
    await row.waitFor();
    assert.equal(await page.locator("#groups-message").innerText(), `Created group ${group}`);
    assert.equal(await row.locator("a.group-link").innerText(), group);
    assert.equal(await row.locator("td.group-members").innerText(), "0");
    assert.equal(await page.locator("#groups i").count(), 0, "no markup from the name");

    // Open it and add a member.
    await Promise.all([page.waitForURL("**/hub/admin/groups/**"), row.locator("a.group-link").click()]);
    assert.equal(await page.locator("#group-name").innerText(), group);
    await page.locator("#members-info", { hasText: "no members" }).waitFor();
    await page.locator("#add-member").fill(USER);
    await page.locator("#add-member-submit").click();
    const member = page.locator(`#members tbody tr[data-user="${USER}"]`);
    await member.waitFor();
    assert.equal(await member.locator("td.member-name").innerText(), USER);
    assert.match(await page.locator("#group-message").innerText(), new RegExp(`Added ${USER}`));

    // Set a property.
    await page.locator("#add-property").click();
    const property = page.locator("#properties tr.property").last();
    await property.locator(".property-key").fill("course");
    await property.locator(".property-value").fill("physics <101>");
    await page.locator("#save-properties").click();
    await page.locator("#group-message", { hasText: "Saved the properties" }).waitFor();

    // After a reload the page shows both, and so does the API.
    await page.reload();
    await member.waitFor();
    const saved = page.locator("#properties tr.property");
    await saved.first().waitFor();
    assert.equal(await saved.count(), 1);
    assert.equal(await saved.locator(".property-key").inputValue(), "course");
    assert.equal(await saved.locator(".property-value").inputValue(), "physics <101>");
    const path = `/groups/${encodeURIComponent(group)}`;
    let model = await (await apiGet(page, path)).json();
    assert.deepEqual(model.users, [USER]);
    assert.deepEqual(model.properties, { course: "physics <101>" });

    // The list counts them.
    await page.goto("/hub/admin/groups");
    const listed = page.locator("#groups tbody tr").filter({ has: page.locator("a.group-link", { hasText: group }) });
    await listed.waitFor();
    assert.equal(await listed.locator("td.group-members").innerText(), "1");
    assert.equal(await listed.locator("td.group-properties").innerText(), "1");

    // Remove the member.
    await Promise.all([page.waitForURL("**/hub/admin/groups/**"), listed.locator("a.group-link").click()]);
    await member.waitFor();
    await member.locator("button.remove-member").click();
    await member.waitFor({ state: "detached" });
    await page.locator("#members-info", { hasText: "no members" }).waitFor();
    model = await (await apiGet(page, path)).json();
    assert.deepEqual(model.users, []);

    // Delete the group: back to the list, which no longer has it.
    await Promise.all([page.waitForURL("**/hub/admin/groups"), page.locator("#delete-group").click()]);
    await page.locator("#page-info", { hasText: "no groups" }).waitFor();
    assert.equal(await page.locator("#groups tbody tr").count(), 0);
    assert.equal((await apiGet(page, path)).status(), 404);
  });
});

test("the groups list and a group's members are shown 50 at a time", async () => {
  await withHub(browser, "admin-groups-paging", async ({ page }) => {
    await login(page, ADMIN, ADMIN_PASSWORD);
    await page.goto("/hub/admin/groups");
    const xsrf = await page.locator("body").getAttribute("data-xsrf");
    const post = (path, data) => page.request.post(`/hub/api${path}`, { headers: { "X-XSRFToken": xsrf }, data });
    const names = Array.from({ length: 55 }, (_, i) => `g${String(i).padStart(2, "0")}`);
    const users = Array.from({ length: 55 }, (_, i) => `u${String(i).padStart(2, "0")}`);
    assert.equal((await post("/groups", { groups: names })).status(), 201);
    assert.equal((await post("/users", { usernames: users })).status(), 201);
    assert.equal((await post("/groups/g00/users", { users })).status(), 200);

    await page.reload();
    await page.locator("#page-info", { hasText: "1–50 of 55" }).waitFor();
    assert.equal(await page.locator("#groups tbody tr").count(), 50);
    assert.equal(await page.locator("#prev-page").isDisabled(), true);
    await page.locator("#next-page").click();
    await page.locator("#page-info", { hasText: "51–55 of 55" }).waitFor();
    assert.deepEqual(await page.locator("#groups a.group-link").allInnerTexts(), names.slice(50));
    assert.equal(await page.locator("#next-page").isDisabled(), true);

    await page.goto("/hub/admin/groups/g00");
    await page.locator("#members-info", { hasText: "1–50 of 55" }).waitFor();
    assert.equal(await page.locator("#members tbody tr").count(), 50);
    await page.locator("#next-members").click();
    await page.locator("#members-info", { hasText: "51–55 of 55" }).waitFor();
    assert.deepEqual(await page.locator("#members td.member-name").allInnerTexts(), users.slice(50));
  });
});
