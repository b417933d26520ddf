/* Weft app page: draft validation, streamed test runs over the WebSocket, publish, API keys.
   Every value from the server or the user is written with textContent, never as HTML. */
(function () {
  "use strict";

  var root = document.getElementById("app-root");
  if (!root) return;
  var appId = root.dataset.appId;
  var mode = root.dataset.appMode;
  var canEdit = root.dataset.canEdit === "1";
  var baseUrl = root.dataset.baseUrl;
  var pretty = window.WeftPretty || function (v) { return JSON.stringify(v, null, 2); };

  // ---- helpers -------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 204) return { ok: true, status: 204, data: null };
      return response.text().then(function (text) {
        var data = null;
        // a body that is not the API's JSON (a debug traceback) is never shown: it may hold paths
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: "the server answered " + response.status }; }
        return { ok: response.ok, status: response.status, data: data };
      });
    }, function (err) {
      return { ok: false, status: 0, data: { message: "Network error: " + err.message } };
    });
  }
  function setBusy(button, busy, label) {
    if (!button) return;
    button.disabled = busy;
    button.textContent = "";
    if (busy) {
      button.append(el("span", "spinner"), " " + label);
    } else {
      button.textContent = button.dataset.idleLabel || label;
    }
  }
  function ms(value) {
    if (value === null || value === undefined) return "";
    return value >= 10000 ? (value / 1000).toFixed(1) + " s" : Math.round(value) + " ms";
  }
  function fmtDate(value, withYear) {
    var options = withYear
      ? { month: "short", day: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit" }
      : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
    options.hour12 = false;
    options.timeZone = "UTC";
    return new Date(value).toLocaleString("en-US", options);
  }
  function issueItems(list, issues) {
    issues.forEach(function (issue) {
      var li = el("li");
      if (issue.code) li.append(el("code", "", issue.code), " ");
      li.append(document.createTextNode(issue.message || ""));
      if (issue.node_id) li.append(" (node ", el("code", "", issue.node_id), ")");
      if (issue.field && !issue.node_id) li.append(" (", el("code", "", issue.field), ")");
      list.append(li);
    });
  }

  // ---- draft validation ----------------------------------------------------------------
  (function validateDraft() {
    var badge = $("draft-validation");
    if (!badge) return;
    api("GET", "/api/apps/" + appId + "/draft").then(function (res) {
      badge.textContent = "";
      if (!res.ok) {
        badge.dataset.state = "unknown";
        badge.textContent = "Validation unavailable";
        return;
      }
      var issues = (res.data && res.data.issues) || [];
      if (!issues.length) {
        badge.dataset.state = "valid";
        badge.textContent = "✓ Draft is valid";
        return;
      }
      badge.dataset.state = "invalid";
      badge.textContent = "⚠ " + issues.length + " issue" + (issues.length === 1 ? "" : "s") + " in the draft";
      var list = $("draft-issues");
      issueItems(list, issues);
      list.hidden = false;
    });
  })();

  // ---- test run over the WebSocket -----------------------------------------------------
  var form = $("run-form");
  var runButton = $("run-button");
  var statusBox = $("run-status");
  var traceBox = $("trace");
  var traceBody = $("trace-body");
  var queryBox = $("run-query");
  var transcript = $("transcript");
  var newConversation = $("new-conversation");
  var socket = null;
  var socketReady = null;
  var current = null;          // the run in progress
  var conversationId = null;   // chat apps: kept across turns
  var ticker = null;

  function connect() {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    if (socketReady) return socketReady;
    socketReady = new Promise(function (resolve, reject) {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var ws = new WebSocket(scheme + location.host + "/ws/apps/" + appId + "/runs/");
      ws.addEventListener("open", function () { socket = ws; socketReady = null; resolve(ws); });
      ws.addEventListener("message", function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (e) { return; }
        onMessage(data);
      });
      ws.addEventListener("close", function (event) {
        var wasOpen = socket === ws;
        socket = null;
        socketReady = null;
        if (!wasOpen) {
          reject(new Error(event.code === 4403 ? "You need the editor role to run this app." : "Could not connect to the run server."));
        } else if (current && !current.finished) {
          finishWithError("connection_lost", "The connection closed before the run finished. Its trace is still recorded in Recent runs.");
        }
      });
    });
    return socketReady;
  }

  function collectInputs() {
    var inputs = {};
    if (!form) return inputs;
    form.querySelectorAll("[data-var-type]").forEach(function (input) {
      var type = input.dataset.varType;
      if (type === "checkbox") { inputs[input.name] = input.checked; return; }
      if (input.value === "") return;
      inputs[input.name] = type === "number" ? Number(input.value) : input.value;
    });
    return inputs;
  }

  function showStatus(state, parts) {
    statusBox.hidden = false;
    statusBox.dataset.state = state;
    statusBox.textContent = "";
    parts.forEach(function (part) { statusBox.append(part); });
  }

  function runningStatus() {
    var seconds = ((performance.now() - current.startedAt) / 1000).toFixed(1);
    var stop = el("button", "btn btn-sm", "Stop");
    stop.type = "button";
    stop.addEventListener("click", function () {
      if (socket) socket.send(JSON.stringify({ type: "stop" }));
      stop.disabled = true;
      stop.textContent = "Stopping…";
    });
    var label = current.runningNode ? " Running " + current.runningNode + "… " : " Running… ";
    showStatus("running", [el("span", "spinner"), label + seconds + " s", stop]);
  }

  function tick() {
    if (!current || current.finished) return;
    // Refresh the elapsed time of the running nodes and the status line (keep the Stop button).
    var seconds = ((performance.now() - current.startedAt) / 1000).toFixed(1);
    var text = statusBox.childNodes[1];
    if (text && text.nodeType === Node.TEXT_NODE) {
      text.textContent = (current.runningNode ? " Running " + current.runningNode + "… " : " Running… ") + seconds + " s";
    }
    Object.keys(current.rows).forEach(function (nodeId) {
      var row = current.rows[nodeId];
      if (row.status === "running") row.elapsed.textContent = ms(performance.now() - row.startedAt);
    });
  }

  function resetTrace() {
    traceBody.textContent = "";
    traceBox.hidden = false;
    $("trace-run-link").hidden = true;
  }

  function nodeRow(nodeId, info) {
    var rows = current.rows;
    if (rows[nodeId]) return rows[nodeId];
    var index = Object.keys(rows).length + 1;
    var tr = el("tr", "trace-row");
    tr.dataset.toggle = "live-detail-" + index;
    tr.dataset.nodeId = nodeId;
    tr.tabIndex = 0;
    tr.setAttribute("aria-expanded", "false");
    var nameCell = el("td");
    nameCell.append(el("strong", "", info.title || nodeId), " ", el("code", "small muted", nodeId));
    var typeCell = el("td");
    typeCell.append(el("span", "type-tag", info.node_type || ""));
    var statusCell = el("td");
    var badge = el("span", "status status-running", "Running");
    statusCell.append(badge);
    var elapsed = el("td", "num", "");
    var tokens = el("td", "num muted", "—");
    tr.append(el("td", "muted", info.index || index), nameCell, typeCell, statusCell, elapsed, tokens);

    var detail = el("tr", "detail-row");
    detail.id = "live-detail-" + index;
    detail.hidden = true;
    var cell = el("td");
    cell.colSpan = 6;
    var grid = el("div", "detail-grid");
    var inBox = el("div"); inBox.append(el("h4", "", "Inputs"));
    var inputsPre = el("pre", "json", pretty(info.inputs || {}));
    inBox.append(inputsPre);
    var outBox = el("div"); outBox.append(el("h4", "", "Outputs"));
    var outputsPre = el("pre", "json", "(running…)");
    outBox.append(outputsPre);
    var errBox = el("div", "detail-error"); errBox.hidden = true;
    errBox.append(el("h4", "", "Error"));
    var errAlert = el("div", "alert alert-error");
    errBox.append(errAlert);
    grid.append(inBox, outBox, errBox);
    cell.append(grid);
    detail.append(cell);
    traceBody.append(tr, detail);

    var row = { tr: tr, badge: badge, elapsed: elapsed, tokens: tokens, outputsPre: outputsPre,
                errBox: errBox, errAlert: errAlert, status: "running",
                startedAt: performance.now(), streamed: {} };
    rows[nodeId] = row;
    return row;
  }

  function setRowStatus(row, status) {
    row.status = status;
    row.badge.className = "status status-" + status;
    row.badge.textContent = status.charAt(0).toUpperCase() + status.slice(1);
    row.tr.dataset.status = status;
  }

  function showRowError(row, code, message) {
    row.errAlert.textContent = "";
    row.errAlert.append(el("code", "err-code", code || "error"));
    row.errAlert.append(el("div", "pre-wrap", message || ""));
    row.errBox.hidden = false;
  }

  function appendAnswer(text) {
    current.answer += text;
    current.answerNode.textContent = current.answer;
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
  }

  function onEvent(ev) {
    var row;
    switch (ev.kind) {
      case "node_started":
        row = nodeRow(ev.node_id, ev);
        row.startedAt = performance.now();
        current.runningNode = ev.title || ev.node_id;
        break;
      case "node_delta":
        row = nodeRow(ev.node_id, ev);
        row.streamed[ev.port] = (row.streamed[ev.port] || "") + ev.text;
        row.outputsPre.textContent = pretty(row.streamed);
        if (mode === "workflow" && !current.answer) {
          // Workflows stream no answer: preview the node that is writing, until the output.
          current.answerNode.textContent = row.streamed[ev.port];
          $("workflow-label").textContent = "Streaming from " + ev.node_id + "…";
        }
        break;
      case "text_chunk":
        appendAnswer(ev.text);
        break;
      case "node_succeeded":
        row = nodeRow(ev.node_id, ev);
        setRowStatus(row, "succeeded");
        row.elapsed.textContent = ms(ev.elapsed_ms);
        var total = (ev.prompt_tokens || 0) + (ev.completion_tokens || 0);
        row.tokens.textContent = total ? String(total) : "—";
        row.tokens.className = total ? "num" : "num muted";
        if (total) row.tokens.title = ev.prompt_tokens + " prompt + " + ev.completion_tokens + " completion";
        row.outputsPre.textContent = pretty(ev.outputs);
        if (ev.error_code) showRowError(row, ev.error_code, ev.error);
        current.runningNode = null;
        break;
      case "node_failed":
        row = nodeRow(ev.node_id, ev);
        setRowStatus(row, "failed");
        row.elapsed.textContent = ms(ev.elapsed_ms);
        row.outputsPre.textContent = Object.keys(row.streamed).length ? pretty(row.streamed) : "{}";
        showRowError(row, ev.error_code, ev.error);
        row.tr.setAttribute("aria-expanded", "true");
        $(row.tr.dataset.toggle).hidden = false;
        current.runningNode = null;
        break;
      case "node_skipped":
        row = nodeRow(ev.node_id, ev);
        setRowStatus(row, "skipped");
        row.elapsed.textContent = "";
        row.outputsPre.textContent = "(skipped)";
        break;
      case "run_finished":
        onFinished(ev);
        break;
      default:
        break;
    }
  }

  function onFinished(ev) {
    if (!current.answer && ev.answer) appendAnswer(ev.answer);
    current.finished = true;
    window.clearInterval(ticker);
    (current.bubble || current.answerNode).classList.remove("streaming");
    var tokens = (ev.prompt_tokens || 0) + (ev.completion_tokens || 0);
    var parts = [];
    var link = el("a", "", "View run");
    link.href = "/apps/" + appId + "/runs/" + current.runId + "/";
    if (ev.status === "succeeded") {
      parts.push("✓ Succeeded in " + ms(ev.elapsed_ms) + " · " + tokens + " tokens · " + (ev.total_steps || 0) + " steps");
    } else {
      parts.push((ev.status === "stopped" ? "■ Stopped" : "✕ Failed") + " after " + ms(ev.elapsed_ms));
      if (ev.error_code) parts.push(" · ", el("code", "err-code", ev.error_code));
      if (ev.error) parts.push(" " + ev.error);
      if (mode === "chat") {
        current.bubble.classList.add("failed");
        if (!current.answer) current.answerNode.textContent = ev.error || ev.status;
      }
    }
    parts.push(link);
    showStatus(ev.status === "succeeded" ? "succeeded" : "failed", parts);
    if (mode === "chat") {
      current.bubble.append(el("div", "msg-meta", ms(ev.elapsed_ms) + " · " + tokens + " tokens"));
    }
    if (mode === "workflow") {
      var jsonBox = $("workflow-json");
      var values = Object.keys(ev.outputs || {}).map(function (k) { return ev.outputs[k]; });
      var single = values.length === 1 && typeof values[0] === "string" ? values[0] : null;
      var text = current.answer || single;
      $("workflow-label").textContent = "Output";
      current.answerNode.textContent = text || "";
      current.answerNode.hidden = !text;
      jsonBox.textContent = pretty(ev.outputs);
      jsonBox.hidden = false;
    }
    var runLink = $("trace-run-link");
    runLink.href = link.href;
    runLink.hidden = false;
    addRunRow(ev, link.href);
    endRun();
  }

  function addRunRow(ev, href) {
    var body = $("runs-body");
    if (!body) return;
    var empty = $("runs-empty");
    if (empty) empty.remove();
    var tr = el("tr");
    var statusCell = el("td");
    statusCell.append(el("span", "status status-" + ev.status, ev.status.charAt(0).toUpperCase() + ev.status.slice(1)));
    var errCell = el("td");
    if (ev.error_code) errCell.append(el("code", "err-code", ev.error_code));
    var linkCell = el("td", "num");
    var a = el("a", "", "Details");
    a.href = href;
    linkCell.append(a);
    var started = new Date(ev.at);
    started = new Date(started.getTime() - (ev.elapsed_ms || 0));
    tr.append(statusCell, el("td", "", "Draft (editor)"), el("td", "", fmtDate(started, false)),
              el("td", "num", Math.round(ev.elapsed_ms || 0) + " ms"),
              el("td", "num", String((ev.prompt_tokens || 0) + (ev.completion_tokens || 0))),
              errCell, linkCell);
    body.insertBefore(tr, body.firstChild);
  }

  function finishWithError(code, message, issues) {
    if (current) {
      current.finished = true;
      if (current.answerNode) {
        (current.bubble || current.answerNode).classList.remove("streaming");
        if (mode === "chat") {
          current.bubble.classList.add("failed");
          if (!current.answer) current.answerNode.textContent = message;
        }
      }
      Object.keys(current.rows || {}).forEach(function (id) {
        var row = current.rows[id];
        if (row.status === "running") setRowStatus(row, "failed");
      });
    }
    window.clearInterval(ticker);
    var parts = ["✕ ", el("code", "err-code", code), " " + message];
    if (issues && issues.length) {
      var list = el("ul");
      issueItems(list, issues);
      parts.push(list);
    }
    showStatus("error", parts);
    endRun();
  }

  function endRun() {
    setBusy(runButton, false, runButton.dataset.idleLabel);
    if (queryBox) queryBox.disabled = false;
    if (newConversation) newConversation.disabled = !conversationId;
  }

  function onMessage(data) {
    if (!current) return;
    if (data.type === "run_created") {
      current.runId = data.run_id;
      if (mode === "chat" && data.conversation_id) {
        conversationId = data.conversation_id;
        $("conversation-id").textContent = conversationId.slice(0, 8);
        $("conversation-id").title = conversationId;
        $("conversation-label").hidden = false;
      }
    } else if (data.type === "event") {
      onEvent(data.event);
    } else if (data.type === "error") {
      finishWithError(data.code || "error", data.message || "The run could not start.", data.issues);
    }
  }

  function startRun(event) {
    event.preventDefault();
    if (current && !current.finished) return;
    if (!form.reportValidity()) return;
    var query = queryBox ? queryBox.value.trim() : "";
    if (mode === "chat" && !query) { queryBox.focus(); return; }
    var inputs = collectInputs();

    current = { rows: {}, answer: "", finished: false, runId: null, runningNode: null,
                startedAt: performance.now() };
    if (mode === "chat") {
      var empty = $("transcript-empty");
      if (empty) empty.remove();
      transcript.append(el("div", "msg msg-user", query));
      current.bubble = el("div", "msg msg-bot streaming");
      current.answerNode = el("div", "msg-text", "");
      current.bubble.append(current.answerNode);
      transcript.append(current.bubble);
      transcript.scrollTop = transcript.scrollHeight;
      queryBox.value = "";
      queryBox.disabled = true;
    } else {
      $("workflow-output").hidden = false;
      current.answerNode = $("workflow-text");
      current.answerNode.hidden = false;
      current.answerNode.textContent = "";
      current.answerNode.classList.add("streaming");
      $("workflow-label").textContent = "Output";
      $("workflow-json").hidden = true;
    }
    resetTrace();
    setBusy(runButton, true, "Running…");
    if (newConversation) newConversation.disabled = true;
    showStatus("running", [el("span", "spinner"), " Connecting…"]);

    connect().then(function (ws) {
      runningStatus();
      ticker = window.setInterval(tick, 100);
      ws.send(JSON.stringify({ type: "run", inputs: inputs, query: query,
                               conversation_id: mode === "chat" ? conversationId : null }));
    }, function (err) {
      finishWithError("connect_failed", err.message);
    });
  }

  if (form && canEdit) {
    form.addEventListener("submit", startRun);
    if (queryBox) {
      queryBox.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
  }
  if (newConversation) {
    newConversation.addEventListener("click", function () {
      if (current && !current.finished) return;
      conversationId = null;
      $("conversation-label").hidden = true;
      transcript.textContent = "";
      var p = el("p", "transcript-empty muted", "New conversation. Send a message to start.");
      p.id = "transcript-empty";
      transcript.append(p);
      statusBox.hidden = true;
      traceBox.hidden = true;
      newConversation.disabled = true;
      queryBox.focus();
    });
  }

  // ---- publish ---------------------------------------------------------------------------
  var publishForm = $("publish-form");
  if (publishForm) {
    publishForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("publish-button");
      var result = $("publish-result");
      var noteInput = $("publish-note");
      setBusy(button, true, "Publishing…");
      result.hidden = true;
      result.textContent = "";
      api("POST", "/api/apps/" + appId + "/publish", { note: noteInput.value }).then(function (res) {
        setBusy(button, false, "Publish");
        result.hidden = false;
        if (res.ok) {
          var v = res.data;
          var ok = el("div", "alert alert-success");
          ok.append("✓ Published ", el("strong", "", "version " + v.number), ". API calls now run it.");
          result.append(ok);
          noteInput.value = "";
          addVersion(v);
          var pill = $("head-version");
          if (pill) { pill.className = "pill pill-ok"; pill.textContent = "v" + v.number + " live"; }
          return;
        }
        var data = res.data || {};
        var box = el("div", "alert alert-error");
        box.append(el("strong", "", res.status === 422 ? "Cannot publish: " : "Publish failed: "),
                   document.createTextNode(data.message || ("HTTP " + res.status)));
        var issues = data.issues || data.errors || [];
        if (issues.length) {
          var list = el("ul");
          issueItems(list, issues);
          box.append(list);
        }
        result.append(box);
      });
    });
  }

  function addVersion(v) {
    var list = $("version-list");
    var empty = $("versions-empty");
    if (empty) empty.remove();
    var li = el("li", "version fresh");
    var body = el("div", "version-body");
    var note = el("div", "version-note");
    if (v.note) note.textContent = v.note; else note.append(el("span", "muted", "No note"));
    var when = new Date(v.created_at);
    body.append(note, el("div", "muted small", "r" + v.draft_revision + " · " + fmtDate(when, true) +
                                                (v.created_by ? " · " + v.created_by : "")));
    li.append(el("span", "version-num", "v" + v.number), body);
    list.insertBefore(li, list.firstChild);
  }

  // ---- API keys ----------------------------------------------------------------------------
  var keyForm = $("key-form");
  if (keyForm) {
    keyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("key-button");
      var nameInput = $("key-name");
      setBusy(button, true, "Creating…");
      api("POST", "/api/apps/" + appId + "/keys", { name: nameInput.value.trim() }).then(function (res) {
        setBusy(button, false, "Create key");
        if (!res.ok) {
          window.alert("Could not create the key: " + ((res.data && res.data.message) || res.status));
          return;
        }
        nameInput.value = "";
        revealKey(res.data.key);
        addKeyRow(res.data);
      });
    });
    $("key-dismiss").addEventListener("click", function () {
      $("new-key").textContent = "";
      $("curl-example").textContent = "";
      $("key-reveal").hidden = true;
    });
    $("keys-body").addEventListener("click", function (event) {
      var button = event.target.closest("[data-revoke]");
      if (!button) return;
      if (!window.confirm("Revoke this key? Apps using it stop working at once.")) return;
      setBusy(button, true, "Revoking…");
      api("DELETE", "/api/apps/" + appId + "/keys/" + button.dataset.revoke).then(function (res) {
        if (!res.ok) {
          setBusy(button, false, "Revoke");
          window.alert("Could not revoke the key: " + ((res.data && res.data.message) || res.status));
          return;
        }
        var row = button.closest("tr");
        row.classList.add("revoked");
        var cell = button.parentNode;
        cell.textContent = "";
        cell.append(el("span", "status status-revoked", "Revoked"));
      });
    });
  }

  function revealKey(key) {
    $("new-key").textContent = key;
    var body = mode === "chat"
      ? '{"inputs": {}, "query": "Hello!", "response_mode": "blocking", "user": "demo-user"}'
      : '{"inputs": {"query": "Hello!"}, "response_mode": "blocking", "user": "demo-user"}';
    var path = mode === "chat" ? "/chat-messages" : "/workflows/run";
    $("curl-example").textContent =
      "curl -X POST '" + baseUrl + path + "' \\\n" +
      "  -H 'Authorization: Bearer " + key + "' \\\n" +
      "  -H 'Content-Type: application/json' \\\n" +
      "  -d '" + body + "'";
    $("key-reveal").hidden = false;
  }

  function addKeyRow(k) {
    var body = $("keys-body");
    var empty = $("keys-empty");
    if (empty) empty.remove();
    var tr = el("tr");
    tr.dataset.keyId = k.id;
    var nameCell = el("td");
    nameCell.append(el("div", "", k.name || "Unnamed"), el("code", "small", k.prefix + "…"));
    var revokeCell = el("td", "num");
    var button = el("button", "btn btn-danger btn-sm", "Revoke");
    button.type = "button";
    button.dataset.revoke = k.id;
    button.dataset.idleLabel = "Revoke";
    revokeCell.append(button);
    var lastUsed = el("td", "small");
    lastUsed.append(el("span", "muted", "Never"));
    tr.append(nameCell, el("td", "small", new Date(k.created_at).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" })),
              lastUsed, revokeCell);
    body.insertBefore(tr, body.firstChild);
  }
})();
