// The scoring form (inspections/inspection_form.html).
//
// - running total, category subtotals and "n / m scored" as the clerk types;
// - autosave: 800 ms after a change the form is POSTed to the same URL with
//   X-Autosave: 1 (JSON back); the service saves all scores or none, and its
//   errors are shown next to the item and at the top;
// - a localStorage backup of every keystroke, restored on load when it is newer
//   than the server's copy (clock skew between phone and server corrected);
// - photos upload as soon as they are chosen (or taken), per item;
// - 其余项目满分 fills every item still empty with its full score (never one already typed);
// - after a refused submit the first item (or header field) in error, marked by the server
//   (data-first-error), is scrolled into view and focused.
// Without JavaScript the form still works: 保存草稿 / 提交 post everything, photos included.
(function () {
  "use strict";
  var form = document.getElementById("scoring-form");
  if (!form) return;
  var d = form.dataset;
  var storageKey = d.storageKey;
  var skew = Number(d.serverNowMs) - Date.now(); // server clock minus ours
  var serverUpdated = Number(d.updatedMs);
  var maxTotal = Number(d.maxTotal);
  var statusEl = document.getElementById("save-status");
  var totalEl = document.getElementById("running-total");
  var countEl = document.getElementById("scored-count");
  var errorsBox = document.getElementById("form-errors");
  var errorsList = document.getElementById("form-error-list");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null, inFlight = false, again = false, dirty = false;

  function now() { return Date.now() + skew; }
  function hhmm(ms) {
    var t = new Date(ms - skew);
    return String(t.getHours()).padStart(2, "0") + ":" + String(t.getMinutes()).padStart(2, "0");
  }
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.type !== "submit" && el.type !== "button" &&
        el.name !== "csrfmiddlewaretoken";
    });
  }

  // --- totals ----------------------------------------------------------------------------------
  function num(input) {
    var raw = input.value.trim();
    if (raw === "") return null;
    var v = Number(raw);
    return isFinite(v) ? v : null;
  }
  function recompute() {
    var total = 0, scored = 0, all = 0;
    form.querySelectorAll(".category-block").forEach(function (block) {
      var sub = 0;
      block.querySelectorAll(".score-input").forEach(function (input) {
        all += 1;
        var v = num(input);
        var max = Number(input.dataset.max);
        var bad = input.value.trim() !== "" && (v === null || v < 0 || v > max || Math.round(v * 2) !== v * 2);
        input.classList.toggle("is-warning", bad);
        if (v !== null && !bad) { sub += v; scored += 1; }
      });
      block.querySelector(".subtotal").textContent = String(Math.round(sub * 10) / 10);
      total += sub;
    });
    totalEl.textContent = String(Math.round(total * 10) / 10);
    countEl.textContent = d.msgCount.replace("%s", scored + "/" + all);
    return {scored: scored, all: all, total: total};
  }

  // --- errors ----------------------------------------------------------------------------------
  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    form.querySelectorAll(".score-item.has-error").forEach(function (el) { el.classList.remove("has-error"); });
    errorsBox.classList.add("d-none");
    errorsList.innerHTML = "";
  }
  function showErrors(errors) {
    clearErrors();
    Object.keys(errors).forEach(function (key) {
      var msgs = errors[key];
      msgs.forEach(function (m) {
        var li = document.createElement("li");
        li.textContent = m;
        errorsList.appendChild(li);
      });
      var slot = document.getElementById("err-" + key);
      if (slot) slot.textContent = msgs.join(" ");
      var input = form.elements[key];
      if (input && input.classList) input.classList.add("is-invalid");
      if (key.indexOf("score_") === 0) {
        var item = document.getElementById("item-" + key.slice(6));
        if (item) item.classList.add("has-error");
      }
    });
    errorsBox.classList.remove("d-none");
  }

  // --- local backup ----------------------------------------------------------------------------
  function backup() {
    try {
      var values = {};
      fields().forEach(function (el) { values[el.name] = el.value; });
      localStorage.setItem(storageKey, JSON.stringify({ts: now(), values: values}));
    } catch (e) { /* private mode or full: the server copy is still there */ }
  }
  function dropBackup() { try { localStorage.removeItem(storageKey); } catch (e) {} }
  function restore() {
    var saved;
    try { saved = JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { saved = null; }
    if (!saved || !saved.values) return false;
    if (saved.ts <= serverUpdated) { dropBackup(); return false; }
    var changed = false;
    fields().forEach(function (el) {
      if (Object.prototype.hasOwnProperty.call(saved.values, el.name) && el.value !== saved.values[el.name]) {
        el.value = saved.values[el.name];
        changed = true;
      }
    });
    if (!changed) { dropBackup(); return false; }
    var note = document.getElementById("restore-note");
    note.textContent = d.msgRestored.replace("%s", hhmm(saved.ts));
    note.classList.remove("d-none");
    return true;
  }

  // --- autosave --------------------------------------------------------------------------------
  function setStatus(text, cls) {
    statusEl.textContent = text;
    statusEl.className = cls || "";
  }
  function save(opts) {
    opts = opts || {};
    clearTimeout(timer);
    if (inFlight) { again = true; return; }
    inFlight = true;
    dirty = false;
    setStatus(d.msgSaving, "text-muted");
    var body = new FormData();
    fields().forEach(function (el) { body.append(el.name, el.value); });
    body.append("csrfmiddlewaretoken", csrf);
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin", keepalive: !!opts.keepalive,
      headers: {"X-Autosave": "1", "X-CSRFToken": csrf, "Accept": "application/json"}
    }).then(function (resp) {
      return resp.json().then(function (data) { return {status: resp.status, data: data}; });
    }).then(function (r) {
      if (r.data.ok) {
        serverUpdated = r.data.updated_ms;
        clearErrors();
        // "已保存" only when nothing typed since this save started is still waiting.
        if (!dirty && !again) {
          dropBackup();
          setStatus(d.msgSaved + " " + r.data.saved_at, "text-success");
        }
      } else {
        showErrors(r.data.errors || {});
        setStatus(d.msgInvalid, "text-danger");
      }
    }).catch(function () {
      setStatus(d.msgOffline, "text-warning");
    }).then(function () {
      inFlight = false;
      if (again) { again = false; schedule(); }
    });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  form.addEventListener("input", function (e) {
    if (e.target.type === "file") return;
    dirty = true;
    if (e.target.classList.contains("score-input")) recompute();
    backup();
  });
  form.addEventListener("change", function (e) {
    if (e.target.type === "file") return;
    dirty = true;
    backup();
    setStatus(d.msgSaving, "text-muted");
    schedule();
  });
  form.addEventListener("click", function (e) {
    var btn = e.target.closest(".full-marks");
    if (!btn) return;
    var input = document.getElementById(btn.dataset.target);
    input.value = input.dataset.max;
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.dispatchEvent(new Event("change", {bubbles: true}));
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) save({keepalive: true});
  });

  // Full posts (保存草稿 / 提交) carry every value; no autosave may race them.
  form.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    if (submitter && submitter.id === "btn-submit") {
      var c = recompute();
      if (!window.confirm(d.msgConfirm + (c.scored < c.all ? "\n" + d.msgUnscored.replace("%s", c.all - c.scored) : ""))) {
        e.preventDefault();
        return;
      }
    }
    clearTimeout(timer);
    backup();
  });

  // --- photos ----------------------------------------------------------------------------------
  form.querySelectorAll(".photo-input").forEach(function (input) {
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var item = input.dataset.item;
      var status = form.querySelector('[data-status="' + item + '"]');
      var strip = form.querySelector('[data-strip="' + item + '"]');
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrf);
      body.append("item", item);
      Array.prototype.forEach.call(input.files, function (f) { body.append("images", f); });
      status.textContent = d.msgUploading;
      status.className = "small text-muted photo-status";
      fetch(d.photoUrl, {method: "POST", body: body, credentials: "same-origin",
                         headers: {"X-CSRFToken": csrf, "Accept": "application/json"}})
        .then(function (resp) { return resp.json(); })
        .then(function (data) {
          if (data.ok) {
            data.photos.forEach(function (p) {
              var a = document.createElement("a");
              a.href = p.url; a.target = "_blank"; a.rel = "noopener"; a.className = "photo-thumb";
              var img = document.createElement("img");
              img.src = p.url; img.alt = "";
              a.appendChild(img);
              strip.appendChild(a);
            });
            status.textContent = d.msgUploaded.replace("%s", data.photos.length);
            status.className = "small text-success photo-status";
          } else {
            status.textContent = (data.errors || []).join(" ");
            status.className = "small text-danger photo-status";
          }
        })
        .catch(function () {
          status.textContent = d.msgUploadFailed;
          status.className = "small text-danger photo-status";
        })
        .then(function () { input.value = ""; });
    });
  });

  // --- 其余项目满分: every item still empty gets its full score; scores already typed stay ----------
  var fillBar = document.getElementById("fill-rest-bar");
  var fillStatus = document.getElementById("fill-rest-status");
  if (fillBar) {
    fillBar.classList.remove("d-none"); // a script-only shortcut: hidden when scripts do not run
    document.getElementById("btn-fill-rest").addEventListener("click", function () {
      var empty = Array.prototype.filter.call(form.querySelectorAll(".score-input"), function (input) {
        return input.value.trim() === "";
      });
      if (!empty.length) { fillStatus.textContent = d.msgFillNone; return; }
      if (!window.confirm(d.msgFillConfirm.replace("%s", empty.length))) return;
      empty.forEach(function (input) {
        input.value = input.dataset.max;
        input.classList.remove("is-invalid");
        var item = input.closest(".score-item");
        if (item) item.classList.remove("has-error", "is-missing");
        var slot = document.getElementById("err-" + input.name);
        if (slot) slot.textContent = "";
      });
      fillStatus.textContent = d.msgFilled.replace("%s", empty.length);
      recompute();
      dirty = true;
      backup();
      setStatus(d.msgSaving, "text-muted");
      schedule(); // one autosave for all of them; the server checks every score as before
    });
  }

  // --- after a refused save or submit: bring the first item (or field) in error into view ----------
  // Run once the page has loaded: the browser's own scroll to the URL's #item-… anchor (the no-script
  // fallback) happens up to then and would take the focus away again.
  function showFirstError() {
    var first = d.firstError && document.getElementById(d.firstError);
    if (!first) return;
    var details = first.closest("details");
    if (details) details.open = true;
    (first.closest(".score-item") || first).scrollIntoView({block: "center", behavior: "instant"});
    first.focus({preventScroll: true});
  }

  if (restore()) schedule();
  recompute();
  if (document.readyState === "complete") {
    showFirstError();
  } else {
    window.addEventListener("load", function () { window.requestAnimationFrame(showFirstError); });
  }
  if (!isFinite(maxTotal)) maxTotal = 100;
})();
