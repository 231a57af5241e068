/* The public complaint pages (templates/complaints/public_*.html): behaviours declared in the markup, no
   inline script (Content-Security-Policy). The server checks everything again; this only saves a resident
   on a phone from uploading 20 MB for nothing. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // <textarea data-counter="id">: characters typed so far into <span id="id">.
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var out = document.getElementById(area.getAttribute("data-counter"));
      if (!out) { return; }
      var update = function () { out.textContent = String(area.value.length); };
      area.addEventListener("input", update);
      update();
    });

    // <form data-public-complaint>: photo count and size checked on choosing; one submission at a time.
    document.querySelectorAll("form[data-public-complaint]").forEach(function (form) {
      var input = form.querySelector("input[type=file]");
      var box = form.querySelector("#photo-check");
      var maxPhotos = parseInt(form.getAttribute("data-max-photos"), 10);
      var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
      function check() {
        var problems = [];
        if (input && input.files) {
          if (input.files.length > maxPhotos) { problems.push(form.getAttribute("data-msg-too-many")); }
          Array.prototype.forEach.call(input.files, function (file) {
            if (file.size > maxBytes) { problems.push(form.getAttribute("data-msg-too-big").replace("%s", file.name)); }
          });
        }
        if (box) {
          box.textContent = problems.join(" ");
          box.hidden = problems.length === 0;
        }
        return problems.length === 0;
      }
      if (input) { input.addEventListener("change", check); }
      form.addEventListener("submit", function (event) {
        if (!check()) { event.preventDefault(); if (input) { input.focus(); } return; }
        var button = form.querySelector("[data-submit]");
        if (button) {
          if (button.disabled) { event.preventDefault(); return; }
          button.disabled = true;
          button.textContent = form.getAttribute("data-msg-sending");
        }
      });
    });
  });

  // Back to a submitted form from the next page (the browser's page cache): the button works again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-public-complaint] [data-submit][disabled]").forEach(function (button) {
      button.disabled = false;
      button.textContent = button.getAttribute("data-label") || button.textContent;
    });
  });

  // <button data-copy-target="id">: copy that element's text; say so in [data-copy-status].
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    var say = function (attr) { if (status) { status.textContent = button.getAttribute(attr); } };
    var text = source ? source.textContent.trim() : "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say("data-msg-copied"); },
                                               function () { say("data-msg-failed"); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { say(document.execCommand("copy") ? "data-msg-copied" : "data-msg-failed"); } catch (e) { say("data-msg-failed"); }
    }
  });
}());
