"use strict";
(() => {
  const { api, enc, cell, button, user } = ganymede;
  const tbody = document.querySelector("#api-tokens tbody");
  const errorBox = document.getElementById("token-error");
  function showError(e) { errorBox.hidden = false; errorBox.textContent = e.message; }
  async function load() {
    const data = await api("GET", `/users/${enc(user)}/tokens`);
    tbody.replaceChildren();
    for (const token of data.api_tokens || []) {
      const row = document.createElement("tr");
      row.dataset.tokenId = token.id;
      cell(row, token.note);
      cell(row, (token.scopes || []).join(" "));
      cell(row, token.last_activity || "never");
      cell(row, token.created);
      cell(row, token.expires_at || "never");
      const actions = document.createElement("td");
      actions.appendChild(button("Revoke", async () => {
        try { await api("DELETE", `/users/${enc(user)}/tokens/${enc(token.id)}`); await load(); }
        catch (e) { showError(e); }
      }, "revoke-token"));
      row.appendChild(actions);
      tbody.appendChild(row);
    }
  }
  document.getElementById("request-token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const note = document.getElementById("token-note").value;
    const expires = document.getElementById("token-expiration-seconds").value;
    const scopes = document.getElementById("token-scopes").value.split(/\s+/).filter(Boolean);
    const body = { note: note || "Requested via token page" };
    if (expires) body.expires_in = Number(expires);
    if (scopes.length) body.scopes = scopes;
    try {
      const token = await api("POST", `/users/${enc(user)}/tokens`, body);
      document.getElementById("token-result").textContent = token.token;
      document.getElementById("token-area").hidden = false;
      await load();
    } catch (e) { showError(e); }
  });
  load().catch(showError);
})();
