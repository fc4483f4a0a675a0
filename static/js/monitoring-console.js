/* The monitoring console (kapclinic.dosing.console): opens the one dialog when htmx has loaded a
   form into it, closes it when the answer says the work is saved, and counts down the next
   check between the 5-second refreshes. CSP-safe: a static file, no eval, no inline style. */
(function () {
  "use strict";

  function dialog() { return document.getElementById("console-dialog"); }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "console-dialog-body") { return; }
    var box = dialog();
    if (!box) { return; }
    if (target.querySelector("[data-saved]")) {
      window.setTimeout(function () { if (box.open) { box.close(); } }, 1200);
    }
    if (!box.open) { box.showModal(); }
    var first = target.querySelector("[aria-invalid=true], input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-dialog]");
    if (button) {
      var box = dialog();
      if (box && box.open) { box.close(); }
    }
  });

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (node) {
      var left = Math.round((Date.parse(node.getAttribute("data-due")) - now) / 1000);
      if (left <= 0) { node.textContent = "due now"; return; }
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      node.textContent = "in " + minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
    });
  }
  window.setInterval(tick, 1000);
})();
