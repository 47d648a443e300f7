/*
 * formserver pages inside the embed snippet's iframe: tell the host page when
 * the form is ready, when the step changes, when the lead is submitted (its
 * segment, tier and route, never the answers) and how tall the page is, so the
 * iframe follows its content. Messages go to the one host origin the server
 * checked against the client's embed origins, and to no other.
 */
(function () {
  "use strict";
  var main = document.querySelector("main[data-host]");
  if (!main || window.parent === window) return;
  var host = main.getAttribute("data-host");
  var lastHeight = 0;

  function send(message) {
    message.type = "formserver";
    window.parent.postMessage(message, host);
  }

  function reportHeight() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      send({ event: "resize", height: height });
    }
  }

  document.documentElement.classList.add("fs-embedded");
  send({ event: "ready" });
  var form = document.querySelector("form.fs-form");
  if (form) {
    send({
      event: "step",
      step: form.getAttribute("data-step"),
      position: Number(form.getAttribute("data-position")),
      total: Number(form.getAttribute("data-total")),
    });
  }
  if (/[?&]fresh=1/.test(window.location.search)) send({ event: "forget" });
  var outcome = main.getAttribute("data-event");
  if (outcome) send(JSON.parse(outcome));
  // In a popup, Escape pressed inside this frame never reaches the host's
  // dialog, so the frame asks the host to close it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") send({ event: "close" });
  });
  reportHeight();
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.body);
  window.addEventListener("load", reportHeight);
})();
