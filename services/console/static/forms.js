// A form the services (or the console) sent back with errors starts with a summary of them: each field's name
// and what is wrong with it, as a link to the field; the summary takes the focus, so that a keyboard or screen
// reader user lands on it (the messages themselves stay beside their fields, linked by aria-describedby).
(function () {
  "use strict";
  function text(node) {
    if (!node) { return ""; }
    var copy = node.cloneNode(true);
    copy.querySelectorAll(".req, .check").forEach(function (extra) { extra.remove(); });
    return copy.textContent.trim();
  }
  function summarise(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("form").forEach(function (form) {
      var failed = form.querySelectorAll(".has-error");
      if (!failed.length || form.querySelector(".error-summary")) { return; }
      var box = document.createElement("div");
      box.className = "error-summary";
      box.setAttribute("role", "alert");
      box.setAttribute("data-testid", "error-summary");
      box.tabIndex = -1;
      var title = document.createElement("p");
      title.textContent = document.body.getAttribute("data-error-summary") || "";
      box.appendChild(title);
      var list = document.createElement("ul");
      failed.forEach(function (field) {
        var control = field.querySelector("input, select, textarea");
        var link = document.createElement("a");
        link.href = "#" + (control ? control.id : "");
        var colon = document.documentElement.lang === "zh-CN" ? "：" : ": ";  // full-width in Chinese text only
        link.textContent = text(field.querySelector("label, legend")) + colon + text(field.querySelector(".field-error"));
        link.addEventListener("click", function (event) {
          if (control) { event.preventDefault(); control.focus(); }
        });
        var item = document.createElement("li");
        item.appendChild(link);
        list.appendChild(item);
      });
      box.appendChild(list);
      form.insertBefore(box, form.firstChild);
      var details = form.closest("details");
      if (details) { details.open = true; }
      box.focus();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { summarise(document); });
  document.addEventListener("htmx:load", function (event) { summarise(event.target); });
})();
