// The rubric draft table: add / remove rows and a live total of the maxima.
(function () {
  "use strict";
  var body = document.getElementById("rubric-rows");
  var template = document.getElementById("row-template");
  var totalEl = document.getElementById("rubric-total");
  var noteEl = document.getElementById("rubric-total-note");
  if (!body || !template || !totalEl) return;
  var full = parseFloat(totalEl.dataset.full || "100");

  function renumber() {
    body.querySelectorAll(".rubric-row").forEach(function (tr, i) {
      tr.querySelector(".row-no").textContent = i + 1;
    });
  }

  function total() {
    var sum = 0, bad = false;
    body.querySelectorAll("input.points").forEach(function (input) {
      if (input.value.trim() === "") return;
      var v = Number(input.value);
      if (!isFinite(v)) { bad = true; return; }
      sum += v;
    });
    sum = Math.round(sum * 10) / 10;
    totalEl.textContent = bad ? "?" : String(sum);
    var ok = !bad && sum === full;
    totalEl.classList.toggle("text-danger", !ok);
    totalEl.classList.toggle("text-success", ok);
    noteEl.textContent = ok ? noteEl.dataset.ok : noteEl.dataset.bad;
    noteEl.className = "small " + (ok ? "text-success" : "text-danger");
  }

  document.getElementById("add-row").addEventListener("click", function () {
    var row = template.content.firstElementChild.cloneNode(true);
    var last = body.querySelector(".rubric-row:last-child input[name=category]");
    if (last) row.querySelector("input[name=category]").value = last.value;
    body.appendChild(row);
    renumber();
    row.querySelector("input[name=title]").focus();
  });
  body.addEventListener("click", function (e) {
    var btn = e.target.closest(".remove-row");
    if (!btn) return;
    btn.closest("tr").remove();
    renumber();
    total();
  });
  body.addEventListener("input", function (e) {
    if (e.target.matches("input.points")) total();
  });
  total();
})();
