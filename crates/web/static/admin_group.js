// One group on the admin page: its members (shown a page at a time, added and removed by
// name), its properties (key/value rows saved together) and deleting it, all through the REST
// API. Everything is written with textContent or input values, never as HTML.
"use strict";
(() => {
  const { api, enc, cell, button, base } = ganymede;
  const group = document.getElementById("group-editor").dataset.group;
  const path = `/groups/${enc(group)}`;
  const message = document.getElementById("group-message");
  const members = document.querySelector("#members tbody");
  const properties = document.querySelector("#properties tbody");
  const prev = document.getElementById("prev-members");
  const next = document.getElementById("next-members");
  const info = document.getElementById("members-info");
  const limit = 50;
  let offset = 0;
  let users = [];
  function say(text) { message.textContent = text; }
  function fail(e) { say(e.message); }
  function renderMembers() {
    members.replaceChildren();
    const page = users.slice(offset, offset + limit);
    for (const name of page) {
      const row = document.createElement("tr");
      row.dataset.user = name;
      cell(row, name).className = "member-name";
      const actions = document.createElement("td");
      actions.appendChild(button("Remove", () => change("DELETE", name, `Removed ${name} from ${group}`), "remove-member"));
      row.appendChild(actions);
      members.appendChild(row);
    }
    info.textContent = users.length ? `${offset + 1}–${offset + page.length} of ${users.length}` : "no members";
    prev.disabled = offset === 0;
    next.disabled = offset + limit >= users.length;
  }
  function propertyRow(key, value) {
    const row = document.createElement("tr");
    row.className = "property";
    const keyInput = document.createElement("input");
    keyInput.className = "property-key";
    keyInput.setAttribute("aria-label", "Key");
    keyInput.value = key;
    const valueInput = document.createElement("input");
    valueInput.className = "property-value";
    valueInput.setAttribute("aria-label", "Value");
    // Strings are edited as they are; other JSON values as JSON, and saved back parsed.
    if (typeof value === "string") {
      valueInput.value = value;
    } else {
      valueInput.value = JSON.stringify(value);
      valueInput.dataset.json = "1";
    }
    for (const input of [keyInput, valueInput]) {
      const td = document.createElement("td");
      td.appendChild(input);
      row.appendChild(td);
    }
    const actions = document.createElement("td");
    actions.appendChild(button("Remove", () => row.remove(), "remove-property"));
    row.appendChild(actions);
    properties.appendChild(row);
  }
  function collectProperties() {
    const out = {};
    for (const row of properties.querySelectorAll("tr.property")) {
      const key = row.querySelector(".property-key").value.trim();
      const input = row.querySelector(".property-value");
      if (!key) continue;
      if (input.dataset.json) {
        try { out[key] = JSON.parse(input.value); continue; } catch (e) { /* saved as text */ }
      }
      out[key] = input.value;
    }
    return out;
  }
  async function load() {
    const model = await api("GET", path);
    users = (model.users || []).slice().sort();
    // After removals the page shown may be past the end: show the last one instead.
    if (offset >= users.length) offset = Math.max(0, Math.floor((users.length - 1) / limit) * limit);
    renderMembers();
    properties.replaceChildren();
    for (const [key, value] of Object.entries(model.properties || {})) propertyRow(key, value);
  }
  async function change(method, name, done) {
    try { await api(method, `${path}/users`, { users: [name] }); say(done); await load(); } catch (e) { fail(e); }
  }
  document.getElementById("add-member-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("add-member");
    const name = input.value.trim();
    if (!name) return;
    await change("POST", name, `Added ${name} to ${group}`);
    input.value = "";
  });
  document.getElementById("add-property").addEventListener("click", () => propertyRow("", ""));
  document.getElementById("save-properties").addEventListener("click", async () => {
    try { await api("PUT", `${path}/properties`, collectProperties()); say(`Saved the properties of ${group}`); await load(); } catch (e) { fail(e); }
  });
  document.getElementById("delete-group").addEventListener("click", async () => {
    if (!confirm(`Delete group ${group}?`)) return;
    try { await api("DELETE", path); window.location.assign(`${base}hub/admin/groups`); } catch (e) { fail(e); }
  });
  prev.addEventListener("click", () => { offset = Math.max(0, offset - limit); renderMembers(); });
  next.addEventListener("click", () => { offset += limit; renderMembers(); });
  load().catch(fail);
})();
