// The project self-evaluation form's progressive enhancement: add and move indicator rows, pick names from
// the 指标库, and show the scores as the user types. Every score comes from the server's preview endpoint
// (evaluations/scoring.py is the only place the rules exist); without JavaScript the form still saves.
(function () {
  "use strict";
  var form = document.getElementById("project-form");
  if (!form) return;
  document.documentElement.classList.add("js");

  var rows = document.getElementById("indicator-rows");
  var totalForms = form.querySelector('input[name="indicators-TOTAL_FORMS"]');
  var template = document.getElementById("indicator-empty-row");
  var statusLine = form.querySelector("[data-preview-status]");
  var datalist = document.getElementById("library-options");
  var libraryEntries = {};
  var timer = null;
  var sequence = 0;

  function renumber() {
    rows.querySelectorAll("tr.indicator-row").forEach(function (tr, index) {
      var order = tr.querySelector('input[name$="-ORDER"]');
      if (order) order.value = index + 1;
    });
  }

  document.getElementById("add-row").addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(totalForms.value, 10);
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    totalForms.value = String(index + 1);
    renumber();
    var added = rows.lastElementChild;
    var category = added && added.querySelector("select[name$='-category']");
    if (category) category.focus();
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("button.move-up, button.move-down");
    if (!button) return;
    var row = button.closest("tr.indicator-row");
    if (button.classList.contains("move-up") && row.previousElementSibling) {
      rows.insertBefore(row, row.previousElementSibling);
    } else if (button.classList.contains("move-down") && row.nextElementSibling) {
      rows.insertBefore(row.nextElementSibling, row);
    }
    renumber();
    schedule();
  });

  function text(selector, value) {
    var node = form.querySelector(selector);
    if (node) node.textContent = value;
  }

  function applyPreview(data) {
    text('[data-total="initial"]', data.totals.initial || "—");
    text('[data-total="adjusted"]', data.totals.adjusted || "—");
    text('[data-total="executed"]', data.totals.executed || "—");
    text('[data-budget="rate"]', data.budget.rate);
    text('[data-budget="score"]', data.budget.score);
    ["execution", "adjustment"].forEach(function (kind) {
      var wrapper = form.querySelector('[data-reason="' + kind + '"]');
      if (!wrapper) return;
      var field = wrapper.querySelector("textarea");
      var needed = data.reasons[kind] || (field && field.value.trim() !== "") || wrapper.querySelector(".problem");
      wrapper.hidden = !needed;
      wrapper.classList.toggle("required-now", Boolean(data.reasons[kind]));
    });
    var byPrefix = {};
    data.rows.forEach(function (row) { byPrefix[row.prefix] = row; });
    rows.querySelectorAll("tr.indicator-row").forEach(function (tr) {
      var row = byPrefix[tr.dataset.prefix];
      var computed = tr.querySelector("[data-computed]");
      var hint = tr.querySelector("[data-hint]");
      if (computed) computed.textContent = row ? row.computed : "";
      if (hint) hint.textContent = row ? row.hint : "";
    });
    var body = document.getElementById("level1-totals");
    if (body) {
      body.innerHTML = "";
      data.level1.forEach(function (total) {
        var tr = document.createElement("tr");
        if (!total.ok) tr.className = "mismatch-row";
        [total.name, total.profile_weight || "不固定", total.weight, total.score].forEach(function (value, i) {
          var td = document.createElement("td");
          if (i > 0) td.className = "num";
          td.textContent = value;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    text("[data-total-score]", data.total);
    text("[data-grade]", data.grade);
    showFindings(data.findings || []);
  }

  // The quality checks (智能审核) on what is typed: each finding beside the input it concerns, the rest in
  // the list above the indicator grid. Built with textContent only: messages quote what users typed.
  function showFindings(findings) {
    form.querySelectorAll("[data-live-finding]").forEach(function (node) { node.remove(); });
    var general = form.querySelector("[data-live-findings]");
    findings.forEach(function (finding) {
      var note = document.createElement("p");
      note.className = "live-finding " + (finding.severity === "错误" ? "error" : "hint");
      note.dataset.liveFinding = finding.code;
      note.textContent = finding.message;
      var input = finding.target ? document.getElementById(finding.target) : null;
      var place = input ? input.closest("td, .field") : null;
      if (place) {
        place.appendChild(note);
      } else if (general) {
        general.appendChild(note);
      }
    });
    if (general) general.hidden = !general.querySelector("[data-live-finding]");
  }

  function preview() {
    var mine = ++sequence;
    var data = new FormData(form);
    data.delete("action");
    fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (payload) {
        // Only the newest answer counts when the user types faster than the server answers.
        if (mine !== sequence) return;
        applyPreview(payload);
        if (statusLine) statusLine.textContent = "得分已按规则实时计算（未保存）";
      })
      .catch(function () {
        if (statusLine) statusLine.textContent = "实时计算暂不可用，保存后可查看得分";
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  }

  function searchLibrary(input) {
    var row = input.closest("tr.indicator-row");
    var category = row.querySelector("select[name$='-category']").value.split("|");
    var params = new URLSearchParams({ q: input.value, level1: category[0] || "", level2: category[1] || "" });
    fetch(form.dataset.libraryUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (payload) {
        datalist.innerHTML = "";
        libraryEntries = {};
        payload.results.forEach(function (entry) {
          libraryEntries[entry.name] = entry;
          var option = document.createElement("option");
          option.value = entry.name;
          option.label = entry.level1 + " / " + entry.level2 + (entry.target ? "（参考：" + entry.target + "）" : "");
          datalist.appendChild(option);
        });
      });
  }

  function pickFromLibrary(input) {
    var entry = libraryEntries[input.value];
    var row = input.closest("tr.indicator-row");
    var ref = row.querySelector("input[name$='-library_ref']");
    if (!entry) { if (ref) ref.value = ""; return; }
    if (ref) ref.value = entry.id;
    var fill = function (selector, value) {
      var field = row.querySelector(selector);
      if (field && !field.value && value) field.value = value;
    };
    fill("select[name$='-category']", entry.level1 + "|" + entry.level2);
    fill("select[name$='-sign']", entry.sign);
    fill("input[name$='-unit']", entry.unit);
    fill("input[name$='-target_text']", entry.target);
  }

  form.addEventListener("input", function (event) {
    if (event.target.matches("input[name$='-name']")) {
      event.target.setAttribute("list", "library-options");
      if (event.target.value.trim().length >= 1) searchLibrary(event.target);
    }
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.matches("input[name$='-name']")) pickFromLibrary(event.target);
    schedule();
  });

  // Warn before leaving with unsaved typing; saving or submitting the form clears the warning.
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  renumber();
  preview();
})();
