/* Weft portal: small behaviours shared by every page. Data is only ever set with textContent. */
(function () {
  "use strict";

  // The workspace switcher posts as soon as a workspace is picked.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Plain forms show a busy state while the next page loads.
  document.querySelectorAll("form:not([id=run-form]):not([id=publish-form]):not([id=key-form]):not([id=import-dsl-form])").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[data-busy-label]");
      if (!button) return;
      window.setTimeout(function () { button.disabled = true; }, 0);
      button.textContent = "";
      var spin = document.createElement("span");
      spin.className = "spinner";
      button.append(spin, " " + button.dataset.busyLabel);
    });
  });

  // Copy buttons: data-copy="#selector".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    var text = source.textContent;
    var done = function () {
      var old = button.dataset.label || button.textContent;
      button.dataset.label = old;
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Pretty JSON from json_script tags (run page).
  function pretty(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "object" && Object.keys(value).length === 0) return Array.isArray(value) ? "[]" : "{}";
    return JSON.stringify(value, null, 2);
  }
  window.WeftPretty = pretty;
  document.querySelectorAll("pre[data-json-from]").forEach(function (pre) {
    var script = document.getElementById(pre.dataset.jsonFrom);
    if (script) pre.textContent = pretty(JSON.parse(script.textContent));
  });
  document.querySelectorAll("pre[data-json-prev]").forEach(function (pre) {
    var script = pre.previousElementSibling;
    if (script && script.tagName === "SCRIPT") pre.textContent = pretty(JSON.parse(script.textContent));
  });

  // Expandable trace rows: data-toggle="<id of the detail row>".
  function toggle(row) {
    var detail = document.getElementById(row.dataset.toggle);
    if (!detail) return;
    detail.hidden = !detail.hidden;
    row.setAttribute("aria-expanded", String(!detail.hidden));
  }
  window.WeftToggleRow = toggle;
  // A link in a row (an answer to a waiting node, an earlier run) does its own thing: Enter on it
  // must follow it, not open the row.
  function rowOf(target) {
    if (!target.closest || target.closest("tr[data-toggle] a, tr[data-toggle] button")) return null;
    return target.closest("tr[data-toggle]");
  }
  document.addEventListener("click", function (event) {
    var row = rowOf(event.target);
    if (row) toggle(row);
  });
  document.addEventListener("keydown", function (event) {
    var row = rowOf(event.target);
    if (row && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); toggle(row); }
  });
})();
