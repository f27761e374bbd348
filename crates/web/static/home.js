"use strict";
(() => {
  const { api, enc, user } = ganymede;
  const message = document.getElementById("home-message");
  for (const b of document.querySelectorAll(".stop-server")) {
    b.addEventListener("click", async () => {
      const name = b.dataset.serverName;
      const path = name ? `/users/${enc(user)}/servers/${enc(name)}` : `/users/${enc(user)}/server`;
      b.disabled = true;
      try { await api("DELETE", path); location.reload(); }
      catch (e) { message.textContent = "Could not stop the server: " + e.message; b.disabled = false; }
    });
  }
  const form = document.getElementById("new-server");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = document.getElementById("new-server-name").value.trim();
      if (name) location.href = `${ganymede.base}hub/spawn/${enc(user)}/${enc(name)}`;
    });
  }
})();
