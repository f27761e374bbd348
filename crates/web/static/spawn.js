// The start page submits its own form when there is nothing to choose: the start is a POST
// carrying the XSRF token. A form with options (data-user-choice) waits for the user, and
// shows that it is working once they press Start.
"use strict";
(() => {
  const form = document.getElementById("spawn_form");
  if (!form) return;
  const button = document.getElementById("spawn-button");
  const busy = () => { if (button) { button.disabled = true; button.textContent = "Starting…"; } };
  if (form.hasAttribute("data-user-choice")) {
    form.addEventListener("submit", busy);
  } else {
    busy();
    form.submit();
  }
})();
