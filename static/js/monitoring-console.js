/* The monitoring console (kapclinic.dosing.console): opens the one dialog when htmx has loaded a
   form into it, closes it when the answer says the work is saved, and counts down the next
   check between the 5-second refreshes. CSP-safe: a static file, no eval, no inline style. */
(function () {
  "use strict";

  function dialog() { return document.getElementById("console-dialog"); }

  document.addEventListener("htmx:afterSettle", function (event) {
    var box = dialog();
    var body = document.getElementById("console-dialog-body");
    if (!box || !body || !body.querySelector(".dialog-content")) { return; }
    // Only answers swapped into the dialog (an outerHTML swap's old target is detached by now);
    // the cards' refresh is not one.
    var target = event.detail && event.detail.target;
    if (target && target.isConnected && target !== body && !body.contains(target)) { return; }
    if (body.querySelector("[data-saved]")) {
      var saved = body.querySelector(".dialog-content");
      window.setTimeout(function () {
        if (box.open && body.contains(saved)) { box.close(); }
      }, 1200);
      return;
    }
    if (!box.open) {
      box.showModal();
      var first = body.querySelector("[aria-invalid=true], input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    } else {
      var invalid = body.querySelector("[aria-invalid=true]");
      if (invalid) { invalid.focus(); }
    }
  });

  // A card's buttons load their form into the dialog (the cards are replaced every 5 seconds,
  // so the request is not tied to the element clicked). Without script they open the page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-dialog]");
    if (link && window.htmx && document.getElementById("console-dialog-body")) {
      event.preventDefault();
      window.htmx.ajax("GET", link.getAttribute("data-dialog"), {
        target: "#console-dialog-body",
        swap: "innerHTML"
      });
    }
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
