/* Complaint pages: fields shown only when another field makes them relevant, declared in the markup.
   <select data-show-if="callback-contacted=true"> (or "kind=quarter|") sits in a column that is hidden
   while the named control of the same form has none of the listed values. Without JavaScript every
   field stays visible and the server ignores what does not apply (CSP: scripts from this site only). */
(function () {
  "use strict";
  function columnOf(el) {
    return el.closest("[class*='col-']") || el.parentElement;
  }
  function apply(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var rule = el.getAttribute("data-show-if").split("=");
      var control = form.querySelector("[name='" + rule[0] + "']");
      if (!control) return;
      var wanted = (rule[1] || "").split("|");
      columnOf(el).classList.toggle("d-none", wanted.indexOf(control.value || "") < 0);
    });
  }
  function applyAll() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-if]")) apply(form);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.form && event.target.form.querySelector("[data-show-if]")) apply(event.target.form);
  });
  if (document.readyState !== "loading") { applyAll(); } else { document.addEventListener("DOMContentLoaded", applyAll); }
}());
