// The hub's REST API from the browser: cookie authentication with the page's XSRF token.
"use strict";
const ganymede = (() => {
  const body = document.body.dataset;
  const base = body.baseUrl || "/";
  async function api(method, path, data) {
    const options = { method, headers: { "X-XSRFToken": body.xsrf, Accept: "application/jupyterhub-pagination+json" } };
    if (data !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(data);
    }
    const response = await fetch(base + "hub/api" + path, options);
    let json = null;
    const text = await response.text();
    if (text) { try { json = JSON.parse(text); } catch (e) { json = null; } }
    if (!response.ok) {
      const message = (json && json.message) || response.statusText;
      throw new Error(response.status + ": " + message);
    }
    return json;
  }
  const enc = (name) => encodeURIComponent(name);
  function cell(row, text) { const td = document.createElement("td"); td.textContent = text == null ? "" : String(text); row.appendChild(td); return td; }
  function button(label, onClick, cls) { const b = document.createElement("button"); b.className = "button " + (cls || ""); b.textContent = label; b.addEventListener("click", onClick); return b; }
  return { api, enc, cell, button, base, user: body.user };
})();
