/*
 * formserver step pages: show and hide fields as their visible_if rules change,
 * with the same JsonLogic rules the server applies (static/js/logic.js).
 * The server decides again on submit; this only spares the prospect questions
 * that do not apply to them.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.fs-form");
  var logic = window.FormserverLogic;
  var summary = document.getElementById("fs-errors");
  if (summary) summary.focus();
  if (!form || !logic) return;
  var context = JSON.parse(form.getAttribute("data-context") || "{}");
  var dynamic = form.querySelectorAll("[data-visible-if]");
  if (!dynamic.length) return;

  // Numbers as the server reads them: spaces, commas and currency signs
  // ignored, and k or m for thousands or millions on money fields.
  function amount(text, suffixes) {
    var cleaned = text.replace(/[\s,_'€$£]/g, "");
    var match = /^(-?)(\d*\.?\d+)([km]?)$/i.exec(cleaned);
    if (!match || (match[3] && !suffixes)) return null;
    var scale = { "": 1, k: 1e3, m: 1e6 }[match[3].toLowerCase()];
    return (match[1] ? -1 : 1) * parseFloat(match[2]) * scale;
  }

  function answers() {
    var data = Object.assign({}, context);
    form.querySelectorAll(".fs-field").forEach(function (wrapper) {
      var name = wrapper.id.slice(2);
      var type = wrapper.getAttribute("data-type");
      var inputs = wrapper.querySelectorAll("input, select, textarea");
      if (type === "checkboxes") {
        data[name] = Array.prototype.filter.call(inputs, function (i) { return i.checked; })
          .map(function (i) { return i.value; });
      } else if (type === "radio") {
        var chosen = wrapper.querySelector("input:checked");
        data[name] = chosen ? chosen.value : null;
      } else if (type === "consent") {
        data[name] = inputs[0].checked;
      } else if (inputs.length) {
        var text = inputs[0].value.trim();
        data[name] = text === "" ? null
          : type === "number" || type === "money" ? amount(text, type === "money") : text;
      }
    });
    return data;
  }

  function update() {
    var data = answers();
    dynamic.forEach(function (wrapper) {
      var visible;
      try {
        visible = logic.truthy(logic.apply(JSON.parse(wrapper.getAttribute("data-visible-if")), data));
      } catch (error) {
        visible = true;
      }
      wrapper.hidden = !visible;
      wrapper.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !visible;
      });
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
