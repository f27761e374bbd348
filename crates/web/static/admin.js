"use strict";
(() => {
  const { api, enc, cell, button } = ganymede;
  const tbody = document.querySelector("#users tbody");
  const message = document.getElementById("admin-message");
  const filter = document.getElementById("user-filter");
  const state = document.getElementById("user-state");
  const prev = document.getElementById("prev-page");
  const next = document.getElementById("next-page");
  const pageInfo = document.getElementById("page-info");
  const limit = 50;
  let offset = 0;
  let timer = null;
  function say(text) { message.textContent = text; }
  function fail(e) { say(e.message); }
  async function load() {
    const params = new URLSearchParams({ offset, limit, include_stopped_servers: "1" });
    if (filter.value.trim()) params.set("name_filter", filter.value.trim());
    if (state.value) params.set("state", state.value);
    const page = await api("GET", `/users?${params}`);
    render(page.items || []);
    const total = page._pagination ? page._pagination.total : (page.items || []).length;
    pageInfo.textContent = total ? `${offset + 1}–${offset + (page.items || []).length} of ${total}` : "no users";
    prev.disabled = offset === 0;
    next.disabled = !(page._pagination && page._pagination.next);
  }
  function render(users) {
    tbody.replaceChildren();
    for (const u of users) {
      const row = document.createElement("tr");
      row.dataset.user = u.name;
      cell(row, u.name).className = "user-name";
      cell(row, u.admin ? "admin" : "");
      const server = (u.servers || {})[""];
      cell(row, server ? (server.ready ? "running" : (server.pending || "stopped")) : "stopped");
      cell(row, u.last_activity || "never");
      const actions = document.createElement("td");
      if (server && (server.ready || server.pending)) {
        actions.appendChild(button("Stop server", () => act("DELETE", `/users/${enc(u.name)}/server`, `Stopping ${u.name}'s server`), "stop-server"));
      } else {
        actions.appendChild(button("Start server", () => act("POST", `/users/${enc(u.name)}/server`, `Starting ${u.name}'s server`), "start-server"));
      }
      actions.appendChild(button(u.admin ? "Revoke admin" : "Make admin", () => act("PATCH", `/users/${enc(u.name)}`, `Updated ${u.name}`, { admin: !u.admin }), "toggle-admin"));
      actions.appendChild(button("Rename", () => {
        const name = prompt(`New name for ${u.name}`, u.name);
        if (name && name !== u.name) act("PATCH", `/users/${enc(u.name)}`, `Renamed ${u.name} to ${name}`, { name });
      }, "rename-user"));
      actions.appendChild(button("Delete", () => {
        if (confirm(`Delete user ${u.name}?`)) act("DELETE", `/users/${enc(u.name)}`, `Deleted ${u.name}`);
      }, "delete-user"));
      row.appendChild(actions);
      tbody.appendChild(row);
    }
  }
  async function act(method, path, done, data) {
    try { await api(method, path, data); say(done); await load(); } catch (e) { fail(e); }
  }
  document.getElementById("add-users-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const usernames = document.getElementById("add-users").value.split(/[\s,]+/).filter(Boolean);
    const admin = document.getElementById("add-users-admin").checked;
    try {
      const created = await api("POST", "/users", { usernames, admin });
      say(`Added ${created.map((u) => u.name).join(", ")}`);
      document.getElementById("add-users").value = "";
      await load();
    } catch (e) { fail(e); }
  });
  document.getElementById("stop-all").addEventListener("click", async () => {
    if (!confirm("Stop every running server?")) return;
    try {
      let stopped = 0;
      for (;;) {
        const page = await api("GET", `/users?state=active&limit=200`);
        const items = page.items || [];
        for (const u of items) { await api("DELETE", `/users/${enc(u.name)}/server`); stopped += 1; }
        if (!items.length || !(page._pagination && page._pagination.next)) break;
      }
      say(`Stopped ${stopped} servers`);
      await load();
    } catch (e) { fail(e); }
  });
  filter.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { offset = 0; load().catch(fail); }, 250); });
  state.addEventListener("change", () => { offset = 0; load().catch(fail); });
  prev.addEventListener("click", () => { offset = Math.max(0, offset - limit); load().catch(fail); });
  next.addEventListener("click", () => { offset += limit; load().catch(fail); });
  load().catch(fail);
})();
