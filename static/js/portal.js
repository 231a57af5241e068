/* Small page behaviours declared in the markup, so no page needs an inline script
   (the Content-Security-Policy allows scripts from this site only). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // <div data-clear-draft="insp-draft-12">: the inspection was submitted, its offline draft is obsolete.
    document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      try { localStorage.removeItem(el.getAttribute("data-clear-draft")); } catch (e) { /* storage blocked */ }
    });
  });
  // <button data-print>: print the page (the plaque).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });
}());
