// The admin page's groups list: one page of groups at a time from the REST API, and a form
// that creates a group. Names are written with textContent and put in URLs encoded.
"use strict";
(() => {
  const { api, enc, cell, base } = ganymede;
  const tbody = document.querySelector("#groups tbody");
  const message = document.getElementById("groups-message");
  const prev = document.getElementById("prev-page");
  const next = document.getElementById("next-page");
  const pageInfo = document.getElementById("page-info");
  const limit = 50;
  let offset = 0;
  function say(text) { message.textContent = text; }
  function fail(e) { say(e.message); }
  async function load() {
    const page = await api("GET", `/groups?${new URLSearchParams({ offset, limit })}`);
    const items = page.items || [];
    tbody.replaceChildren();
    for (const g of items) {
      const row = document.createElement("tr");
      row.dataset.group = g.name;
      const name = document.createElement("td");
      const link = document.createElement("a");
      link.className = "group-link";
      link.href = `${base}hub/admin/groups/${enc(g.name)}`;
      link.textContent = g.name;
      name.appendChild(link);
      row.appendChild(name);
      cell(row, (g.users || []).length).className = "group-members";
      cell(row, Object.keys(g.properties || {}).length).className = "group-properties";
      tbody.appendChild(row);
    }
    const total = page._pagination ? page._pagination.total : items.length;
    pageInfo.textContent = total ? `${offset + 1}–${offset + items.length} of ${total}` : "no groups";
    prev.disabled = offset === 0;
    next.disabled = !(page._pagination && page._pagination.next);
  }
  document.getElementById("create-group-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("new-group-name");
    const name = input.value.trim();
    if (!name) return;
    try {
      await api("POST", `/groups/${enc(name)}`, {});
      input.value = "";
      say(`Created group ${name}`);
      await load();
    } catch (e) { fail(e); }
  });
  prev.addEventListener("click", () => { offset = Math.max(0, offset - limit); load().catch(fail); });
  next.addEventListener("click", () => { offset += limit; load().catch(fail); });
  load().catch(fail);
})();
