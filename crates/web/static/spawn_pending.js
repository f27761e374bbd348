// Follows the spawn's event stream and goes to the server once it is ready.
"use strict";
(() => {
  const root = document.getElementById("spawn-pending");
  const bar = document.getElementById("progress-bar");
  const message = document.getElementById("progress-message");
  const log = document.getElementById("progress-log");
  const source = new EventSource(root.dataset.progressUrl);
  source.onmessage = (e) => {
    let event;
    try { event = JSON.parse(e.data); } catch (err) { return; }
    if (typeof event.progress === "number") { bar.value = event.progress; }
    if (event.message) {
      message.textContent = event.message;
      const item = document.createElement("li");
      item.textContent = event.message;
      log.appendChild(item);
    }
    if (event.ready) {
      source.close();
      window.location.replace(root.dataset.serverUrl || event.url);
    } else if (event.failed) {
      source.close();
      message.classList.add("error");
      document.getElementById("progress-details").open = true;
      // Reload to show the failure with a button to try again.
      setTimeout(() => window.location.reload(), 1500);
    }
  };
  source.onerror = () => {
    // The stream ended without a terminal event (the hub restarted): look again.
    source.close();
    setTimeout(() => window.location.reload(), 1000);
  };
})();
