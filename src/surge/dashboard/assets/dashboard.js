/* surge live dashboard, part 2: reads the run as Server-Sent Events (the browser never polls),
   feeds the charts of charts.js (a bounded number of points per series), fills the tables, and
   sends control requests (POST, with the page's CSRF token). Nothing loaded from the network. */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const { Chart, PALETTE, num, int, clock, el } = window.surgeCharts;
  const $ = (id) => document.getElementById(id);

  function chartsFor(start) {
    const open = start.model === "open";
    const charts = [
      new Chart("throughput", "Requests per second", "/s", [
        { name: "requests/s", get: (t) => t.rps, color: PALETTE[0] },
        { name: "failures/s", get: (t) => t.fps, color: PALETTE[1] },
      ]),
      new Chart("latency", "Latency of this second's successes", "ms", [
        { name: "p50", get: (t) => t.p50, color: PALETTE[2], reduce: "max" },
        { name: "p95", get: (t) => t.p95, color: PALETTE[3], reduce: "max" },
        { name: "p99", get: (t) => t.p99, color: PALETTE[1], reduce: "max" },
      ]),
      open
        ? new Chart("load", "Arrival rate: target and achieved", "/s", [
          { name: "target", get: (t) => t.target, color: PALETTE[7], dashed: true },
          { name: "started", get: (t) => t.started, color: PALETTE[0] },
          { name: "completed", get: (t) => t.rps, color: PALETTE[2] },
        ])
        : new Chart("load", "Users: target and active", "users", [
          { name: "target", get: (t) => t.target, color: PALETTE[7], dashed: true },
          { name: "active", get: (t) => t.users, color: PALETTE[0] },
        ]),
    ];
    if (open) {
      charts.push(new Chart("arrivals", "Schedule lag and dropped arrivals", "", [
        { name: "lag p99 ms", get: (t) => t.lag, color: PALETTE[4], reduce: "max" },
        { name: "dropped/s", get: (t) => t.dropped, color: PALETTE[1] },
      ]));
    }
    charts.push(new Chart("generator", "Load generator health", "", [
      { name: "CPU %", get: (t) => t.cpu, color: PALETTE[5], reduce: "max" },
      { name: "loop lag p99 ms", get: (t) => t.loop, color: PALETTE[6], reduce: "max" },
    ]));
    return charts;
  }

  // -- tables ----------------------------------------------------------------------------------

  const TEXT_KEYS = new Set(["method", "name"]);
  const sort = { key: null, dir: "descending" };

  function fill(id, rows, cells, emptyId) {
    const body = $(id).tBodies[0];
    body.replaceChildren(...rows.map((row) => {
      const tr = el("tr");
      for (const [text, cls] of cells(row)) tr.append(el("td", cls ? { class: cls } : {}, text));
      return tr;
    }));
    if (emptyId) $(emptyId).hidden = rows.length > 0;
  }

  function endpointCells(r) {
    return [
      [r.method, ""], [r.name, "name"], [int(r.requests), "num"], [int(r.failures), "num"],
      [num(r.now), "num"], [num(r.rps), "num"], [num(r.mean), "num"], [num(r.p50), "num"],
      [num(r.p95), "num"], [num(r.p99), "num"], [num(r.max), "num"],
    ];
  }

  function sorted(rows) {
    if (!sort.key) return rows;
    const k = sort.key, sign = sort.dir === "ascending" ? 1 : -1;
    return rows.slice().sort((a, b) => {
      const x = a[k], y = b[k];
      if (TEXT_KEYS.has(k)) return sign * String(x).localeCompare(String(y));
      return sign * ((x === null ? -Infinity : x) - (y === null ? -Infinity : y));
    });
  }

  let lastTables = null;
  function renderTables(t) {
    lastTables = t;
    const table = $("endpoints");
    const rows = sorted(t.endpoints).map((r) => {
      const tr = el("tr");
      for (const [text, cls] of endpointCells(r)) tr.append(el("td", cls ? { class: cls } : {}, text));
      return tr;
    });
    if (t.other) {
      const tr = el("tr", { class: "other" });
      for (const [text, cls] of endpointCells({ ...t.other, method: "" })) tr.append(el("td", cls ? { class: cls } : {}, text));
      rows.push(tr);
    }
    table.tBodies[0].replaceChildren(...rows);
    const foot = el("tr");
    for (const [text, cls] of endpointCells({ ...t.total, method: "", name: "Total" })) foot.append(el("td", cls ? { class: cls } : {}, text));
    table.tFoot.replaceChildren(foot);
    $("endpoint-note").textContent = t.other ? `top ${t.endpoints.length} by requests, ${t.other.count} more in one row` : "";
    const streams = t.endpoints.filter((r) => r.protocol);
    $("protocol-panel").hidden = streams.length === 0;
    fill("protocol", streams, (r) => {
      const p = r.protocol;
      const codes = Object.entries(p.close_codes).map(([code, n]) => `${code}: ${int(n)}`).join(", ") || "–";
      return [
        [r.method, ""], [r.name, "name"], [int(p.sessions), "num"], [num(p.msgs_received_per_s), "num"],
        [num(p.msgs_sent_per_s), "num"], [num(p.reply_p95), "num"], [codes, ""], [num(p.events_per_s), "num"],
        [int(p.reconnects), "num"], [num(p.first_event_p95), "num"], [int(p.session_errors), "num"],
      ];
    });
    fill("errors", t.errors, (r) => [[r.kind, ""], [int(r.count), "num"]], "errors-empty");
    fill("messages", t.messages, (r) => [[r.message, "name"], [int(r.count), "num"]]);
    fill("checks", t.checks, (r) => {
      const total = r.passes + r.fails;
      return [[r.name, "name"], [int(r.passes), "num"], [int(r.fails), "num"], [total ? num((100 * r.passes) / total, 2) + " %" : "–", "num"]];
    }, "checks-empty");
    fill("thresholds", t.thresholds, (r) => {
      const shown = r.observed === null ? (r.note || "–") : `${num(r.observed)} ${r.unit === "count" ? "" : r.unit}`;
      const verdict = r.passed === null ? ["pending", "pending"] : r.passed ? ["pass", "pass"] : ["fail", "fail"];
      return [[r.expression, "name"], [shown, "num"], verdict];
    }, "thresholds-empty");
    fill("classes", t.classes || [], (c) => [
      [c.name, "name"], [c.weight === null ? "–" : int(c.weight), "num"], [c.share === null ? "–" : `${num(c.share, 1)} %`, "num"],
      [int(c.users), "num"], [int(c.iterations), "num"], [int(c.requests), "num"], [num(c.rps), "num"],
    ], "classes-empty");
  }

  document.querySelectorAll("#endpoints th[data-key]").forEach((th) => {
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      if (sort.key === key) sort.dir = sort.dir === "ascending" ? "descending" : "ascending";
      else { sort.key = key; sort.dir = TEXT_KEYS.has(key) ? "ascending" : "descending"; }
      document.querySelectorAll("#endpoints th[data-key]").forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", sort.dir);
      if (lastTables) renderTables(lastTables);
    });
  });

  // -- the run ---------------------------------------------------------------------------------

  let charts = [], start = null, ticks = 0, frame = 0, keeping = [];

  function scheduleDraw() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (latest) { showLatest(latest); latest = null; }
      for (const c of charts) c.draw();
    });
  }
  window.addEventListener("resize", scheduleDraw);

  function onStart(s) {
    start = s; ticks = 0; lastTables = null; keeping = []; latest = null;
    document.body.dataset.model = s.model;
    document.body.dataset.run = String(s.run);
    document.body.dataset.ticks = "0";
    $("run-name").textContent = s.jobs > 1 || s.repeat > 1 ? `${s.name} (${s.index + 1}/${s.jobs}, round ${s.round}/${s.repeat})` : s.name;
    $("run-plan").textContent = s.plan;
    $("run-target").textContent = s.target;
    charts = chartsFor(s);
    // A short run's charts span its whole schedule; a long one's grow with it.
    const hint = s.duration_s && s.duration_s <= 60 ? s.duration_s : 10;
    for (const c of charts) c.xHint = hint;
    $("charts").replaceChildren(...charts.map((c) => c.figure));
    $("users-control").hidden = !s.steer.users;
    $("rate-control").hidden = !s.steer.rate;
    $("control-message").textContent = "";
    $("end-panel").hidden = true;
    $("notices").replaceChildren();
    $("c-load-label").textContent = s.model === "open" ? "Arrivals/s now" : "Users";
    renderTables({ total: { name: "Total", requests: 0, failures: 0 }, endpoints: [], other: null, errors: [], messages: [], checks: [],
      thresholds: s.thresholds.map((e) => ({ expression: e, observed: null, unit: "", passed: null, note: "nothing measured yet" })),
      classes: s.classes });
    scheduleDraw();
  }

  /* One second of the run. A partial one (the last moments after the schedule ended) adds
     to the totals but is not charted: a rate over a few milliseconds says little. The cards
     and the workers' table show the latest second, once per frame (a replay brings thousands
     of seconds at once). */
  let latest = null;
  function onTick(t) {
    latest = t;
    if (!t.partial) {
      ticks += 1;
      for (const c of charts) c.add(t);
    }
    scheduleDraw();
  }

  function showLatest(t) {
    document.body.dataset.ticks = String(ticks);
    document.body.dataset.elapsed = String(t.t);
    $("c-requests").textContent = int(t.requests);
    $("c-elapsed").textContent = start && start.duration_s ? `${clock(t.t)} of ${clock(start.duration_s)}` : clock(t.t);
    $("c-failures").textContent = int(t.failures);
    $("c-failures").parentElement.classList.toggle("bad", t.failures > 0);
    $("c-error-rate").textContent = t.requests ? `${num((100 * t.failures) / t.requests, 2)} % of requests` : "0 %";
    if (t.partial) return;
    $("c-rps").textContent = num(t.rps);
    $("c-rps-mean").textContent = `mean ${num(t.t ? t.requests / t.t : 0)}`;
    $("c-p95").textContent = t.p95 === null ? "–" : `${num(t.p95)} ms`;
    $("c-p99").textContent = `p99 ${t.p99 === null ? "–" : num(t.p99) + " ms"}`;
    const open = start && start.model === "open";
    $("c-load").textContent = open ? num(t.started) : int(t.users);
    $("c-target").textContent = `target ${t.target === null ? "–" : num(t.target)}`;
    fill("workers", t.workers, (w) => [[String(w[0]), ""], [num(w[1], 1), "num"], [num(w[2]), "num"], [num(w[3]), "num"], [int(w[4]), "num"]]);
  }

  function onControl(c) {
    const label = c.what === "stop" ? "stop" : c.what === "users" ? `users → ${c.value}` : `rate → ${num(c.value)}/s`;
    for (const chart of charts) chart.mark(c.t, label);
    scheduleDraw();
  }

  function addNotice(n) {
    const text = n.where ? `${n.where}: ${n.text}` : n.text;
    $("notices").append(el("li", { class: n.level }, text));
  }

  function onEnd(e) {
    const verdict = e.passed ? "passed" : `failed (exit code ${e.exit_code})`;
    $("end-title").textContent = `Run ${e.name} ${verdict}`;
    const parts = [`${clock(e.duration_s)} long`];
    if (e.aborted) parts.push(`stopped: ${e.abort_reason}`);
    if (e.saturated) parts.push(`the load generator was saturated: ${e.saturation.join("; ")}`);
    $("end-detail").textContent = parts.join(" · ");
    $("end-panel").hidden = false;
    renderTables(e.tables);
    const links = e.downloads.map((d) => {
      const a = el("a", { href: d.path, download: d.filename, "data-format": d.filename.split(".").slice(1).join(".") }, d.label);
      keep(a, d.path);
      return a;
    });
    $("downloads").replaceChildren(...links);
  }

  /* Fetch a download into the page at once, so that it still works once `surge run --ui` has
     ended (the process serves the run, and ends with it). */
  function keep(a, path) {
    keeping.push(fetch(path, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.blob() : null))
      .then((blob) => { if (blob) { a.href = URL.createObjectURL(blob); a.dataset.kept = "1"; } })
      .catch(() => {}));
  }

  // -- session and controls --------------------------------------------------------------------

  let session = null;
  function onSession(s) {
    session = s;
    document.body.dataset.phase = s.phase;
    const badge = $("phase");
    badge.textContent = s.phase;
    badge.className = "badge " + (s.phase === "running" ? "ok" : "info");
    $("control-panel").hidden = s.phase !== "running";
    $("form-panel").hidden = boot.mode !== "ui" || s.phase === "running";
    $("runs-panel").hidden = boot.mode !== "ui" || s.runs.length === 0;
    fill("runs", s.runs.slice().reverse(), (r) => [
      [String(r.run), "num"], [r.name, "name"], r.passed ? ["passed", "pass"] : [`exit ${r.exit_code}`, "fail"],
      [int(r.requests), "num"], [num(r.rps), "num"], [num(r.p95), "num"], [r.stored_id === null ? "–" : `run ${r.stored_id}`, ""],
    ]);
    if (boot.mode === "run" && s.phase === "finished") {
      // The process ends with the run: keep the downloads first, then let the stream go.
      Promise.allSettled(keeping).then(() => { stream.close(); setLink("run over", "info"); });
    }
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Surge-CSRF": boot.csrf },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function control(path, body, said) {
    const message = $("control-message");
    post(path, body).then(() => { message.textContent = said; }, (err) => { message.textContent = err.message; });
  }
  $("stop").addEventListener("click", () => control("/api/stop", {}, "stopping…"));
  $("users-apply").addEventListener("click", () => {
    const n = $("users-input").value;
    control("/api/users", { users: n }, `users set to ${n}`);
  });
  $("rate-apply").addEventListener("click", () => {
    const r = $("rate-input").value;
    control("/api/rate", { rate: r }, `rate set to ${r}/s`);
  });

  // -- the form (surge ui) ---------------------------------------------------------------------

  function buildForm(form) {
    const target = $("form-target");
    if (form.target === null) {
      target.append(el("label", { for: "f-target" }, "Target URL"), el("div", { class: "help" }, "An http(s):// URL to load-test."));
      target.append(el("input", { id: "f-target", name: "target", type: "url", placeholder: "http://127.0.0.1:8000/health", required: "" }));
    } else {
      target.append(el("label", {}, "Scenario"), el("div", { class: "help" }, form.target));
    }
    const fields = $("form-fields");
    for (const f of form.fields) {
      if (f.name === "user_class") continue;
      const box = el("div", { class: "field" });
      box.append(el("label", { for: `f-${f.name}` }, f.flag), el("div", { class: "help" }, f.help));
      let input;
      if (f.multiple) {
        input = el("textarea", { id: `f-${f.name}`, name: f.name, placeholder: f.placeholder || "one per line" });
        input.value = f.value;
      } else if (f.kind === "choice") {
        input = el("select", { id: `f-${f.name}`, name: f.name });
        input.append(el("option", { value: "" }, `(${f.placeholder})`));
        for (const c of f.choices) input.append(el("option", { value: c }, c));
        input.value = f.value;
      } else {
        const type = f.kind === "int" || f.kind === "float" ? "number" : "text";
        input = el("input", { id: `f-${f.name}`, name: f.name, type, placeholder: f.placeholder });
        if (type === "number") input.setAttribute("step", f.kind === "int" ? "1" : "any");
        if (f.min !== null) input.setAttribute("min", String(f.min));
        input.value = f.value;
      }
      box.append(input);
      fields.append(box);
    }
    if (form.classes.length) {
      $("form-classes").hidden = false;
      for (const c of form.classes) {
        const row = el("div", { class: "row" });
        const on = el("input", { type: "checkbox", id: `class-${c.name}`, checked: "" });
        on.dataset.name = c.name;
        const weight = el("input", { type: "number", min: "1", step: "1", value: String(c.weight), "aria-label": `weight of ${c.name}` });
        weight.dataset.weight = String(c.weight);
        row.append(on, el("label", { for: `class-${c.name}` }, c.name), el("span", { class: "muted" }, "weight"), weight);
        $("class-rows").append(row);
      }
    }
    $("run-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const input of $("run-form").querySelectorAll("[name]")) values[input.name] = input.value;
      const rows = [...$("class-rows").querySelectorAll(".row")];
      const changed = rows.some((r) => !r.children[0].checked || r.children[3].value !== r.children[3].dataset.weight);
      if (changed) values.user_class = rows.filter((r) => r.children[0].checked).map((r) => `${r.children[0].dataset.name}:${r.children[3].value}`);
      $("form-error").textContent = "";
      $("start").disabled = true;
      post("/api/run", { values })
        .catch((err) => { $("form-error").textContent = err.message; })
        .finally(() => { $("start").disabled = false; });
    });
  }
  if (boot.mode === "ui" && boot.form) {
    buildForm(boot.form);
    $("form-panel").hidden = false;
  }

  // -- the event stream ------------------------------------------------------------------------

  function setLink(text, tone) {
    const link = $("link");
    link.textContent = text;
    link.className = "badge " + tone;
  }
  const stream = new EventSource("/events");
  const on = (name, handler) => stream.addEventListener(name, (e) => handler(JSON.parse(e.data)));
  on("session", onSession);
  on("start", onStart);
  on("tick", onTick);
  on("tables", renderTables);
  on("notice", addNotice);
  on("control", onControl);
  on("end", onEnd);
  stream.addEventListener("open", () => setLink("live", "ok"));
  stream.addEventListener("error", () => { if (stream.readyState !== EventSource.CLOSED) setLink("reconnecting", "warn"); });
})();
