// Keeps what people type in the console's forms until the form has been accepted, so that an ended
// session never costs the text: every change is saved in this tab's sessionStorage; a form sent while
// the session had ended comes back filled in after signing in again, with a sentence saying so; a form
// the services accepted (the page after it shows a notice) forgets its draft.
(function () {
  "use strict";
  var SKIP = /^\/(login|logout|language)/;
  var PREFIX = "console-draft:";

  function key(form) { return PREFIX + new URL(form.action, location.href).pathname; }
  function draftable(form) {
    return form.method.toLowerCase() === "post" && !SKIP.test(new URL(form.action, location.href).pathname);
  }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf" && el.type !== "hidden" && el.type !== "submit" &&
        el.type !== "button" && el.type !== "file" && el.type !== "password";
    });
  }
  function save(form) {
    var values = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { (values[el.name] = values[el.name] || []).push(el.value); }
      } else if (el.value) {
        values[el.name] = el.value;
      }
    });
    try { sessionStorage.setItem(key(form), JSON.stringify(values)); } catch (e) { /* storage full or off */ }
  }
  // A form the console sent back with its errors already holds what was typed (the server kept it).
  function sentBack(form) { return !!form.querySelector(".field-error, [aria-invalid=true]"); }
  function restore(form, values) {
    fields(form).forEach(function (el) {
      var value = values[el.name];
      if (value === undefined) { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = value.indexOf(el.value) >= 0; }
      else { el.value = value; }
    });
    var details = form.closest("details");
    if (details) { details.open = true; }
    var note = document.createElement("p");
    note.className = "notice";
    note.setAttribute("role", "status");
    note.setAttribute("data-testid", "draft-restored");
    note.textContent = document.body.getAttribute("data-draft-restored") || "";
    form.insertBefore(note, form.firstChild);
  }
  function bind(root) {
    var accepted = !!document.querySelector("[data-testid=notice]");
    var signingIn = document.body.getAttribute("data-page") === "login";
    (root.querySelectorAll ? root : document).querySelectorAll("form").forEach(function (form) {
      if (!draftable(form) || form.dataset.draftBound) { return; }
      form.dataset.draftBound = "1";
      var k = key(form), sent = sessionStorage.getItem(k + ":sent"), saved = sessionStorage.getItem(k);
      if (sent && accepted) { sessionStorage.removeItem(k); saved = null; }
      if (!signingIn) { sessionStorage.removeItem(k + ":sent"); }
      if (saved && !sentBack(form)) {
        var values = JSON.parse(saved);
        if (Object.keys(values).length) { restore(form, values); }
      }
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
      form.addEventListener("submit", function () { save(form); sessionStorage.setItem(k + ":sent", "1"); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:load", function (event) { bind(event.target); });
})();
