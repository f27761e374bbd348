// The start page submits its own form: the start is a POST carrying the XSRF token.
"use strict";
(() => {
  const form = document.getElementById("spawn-form");
  if (form && !form.querySelector("[data-user-choice]")) {
    const button = document.getElementById("spawn-button");
    if (button) { button.disabled = true; button.textContent = "Starting…"; }
    form.submit();
  }
})();
