// The extension request form: the last day a grant would give, kept current as the department or the number
// of days changes. The dates come with the page (investigation counted them with the campus's calendar); this
// only looks them up, so the page says the same without the script.
(function () {
  "use strict";
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function update(form) {
    var out = form.querySelector(".extension-result");
    if (!out) { return; }
    var preview = JSON.parse(out.getAttribute("data-preview") || "{}");
    var words = JSON.parse(out.getAttribute("data-words") || "{}");
    var choice = form.querySelector("[name=department]");
    var dates = preview[choice ? choice.value : ""];
    if (!dates) { out.textContent = words.choose; return; }
    var limit = Object.keys(dates).length;
    var typed = (form.querySelector("[name=requested_days]") || {}).value || "";
    if (!/^\s*\d+\s*$/.test(typed)) {
      out.textContent = fill(words.latest, {days: limit, day: dates[String(limit)]});
      return;
    }
    var days = parseInt(typed, 10);
    out.textContent = dates[String(days)] ? fill(words.result, {days: days, day: dates[String(days)]}) : words.beyond;
  }
  function wire(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".extension-result").forEach(function (out) {
      var form = out.closest("form");
      if (!form || form.getAttribute("data-extension-wired")) { return; }
      form.setAttribute("data-extension-wired", "1");
      form.addEventListener("input", function () { update(form); });
      form.addEventListener("change", function () { update(form); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:load", function (event) { wire(event.target); });
})();
