/* surge live dashboard, part 1: formatting, DOM helpers, bounded series and SVG line charts
   (no library). dashboard.js, loaded after it, uses them through window.surgeCharts. */
"use strict";
(function () {
  const MAX_POINTS = 600; // per series; beyond it older seconds fold pairwise (max or mean)
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
  const SVG_NS = "http://www.w3.org/2000/svg";

  // -- formatting ------------------------------------------------------------------------------

  function num(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const d = digits === undefined ? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2) : digits;
    return v.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: d });
  }
  function int(v) { return v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US"); }
  function clock(s) {
    if (s < 60) return `${Math.round(s)} s`;
    const m = Math.floor(s / 60), r = Math.round(s % 60);
    if (m < 60) return `${m}:${String(r).padStart(2, "0")}`;
    return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(r).padStart(2, "0")}`;
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  // -- bounded series --------------------------------------------------------------------------

  function combine(a, b, how) {
    if (a === null) return b;
    if (b === null) return a;
    return how === "max" ? Math.max(a, b) : (a + b) / 2;
  }

  /* Points of several series over one x axis. Past MAX_POINTS, neighbours fold in pairs and
     each later point stands for `fold` seconds: the series never grows beyond the bound. */
  class Points {
    constructor(reduce) {
      this.reduce = reduce;
      this.xs = [];
      this.cols = reduce.map(() => []);
      this.fold = 1;
      this.pending = null;
    }
    push(x, values) {
      if (this.fold === 1) return this.append(x, values);
      const p = this.pending || (this.pending = { n: 0, x, sum: values.map(() => null), cnt: values.map(() => 0) });
      p.n += 1; p.x = x;
      values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        if (this.reduce[i] === "max") p.sum[i] = p.sum[i] === null ? v : Math.max(p.sum[i], v);
        else { p.sum[i] = (p.sum[i] || 0) + v; p.cnt[i] += 1; }
      });
      if (p.n >= this.fold) { this.pending = null; this.append(p.x, this.settle(p)); }
    }
    settle(p) {
      return p.sum.map((s, i) => (this.reduce[i] === "max" || s === null ? s : s / p.cnt[i]));
    }
    append(x, values) {
      this.xs.push(x);
      values.forEach((v, i) => this.cols[i].push(v === undefined ? null : v));
      if (this.xs.length > MAX_POINTS) this.halve();
    }
    halve() {
      const xs = [], cols = this.cols.map(() => []);
      for (let i = 0; i < this.xs.length; i += 2) {
        const j = Math.min(i + 1, this.xs.length - 1);
        xs.push(this.xs[j]);
        this.cols.forEach((col, c) => cols[c].push(j === i ? col[i] : combine(col[i], col[j], this.reduce[c])));
      }
      this.xs = xs; this.cols = cols; this.fold *= 2;
    }
    view() {
      if (!this.pending) return { xs: this.xs, cols: this.cols };
      const last = this.settle(this.pending);
      return { xs: this.xs.concat([this.pending.x]), cols: this.cols.map((c, i) => c.concat([last[i]])) };
    }
  }

  // -- charts ----------------------------------------------------------------------------------

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];

  class Chart {
    constructor(id, title, unit, series) {
      this.id = id; this.unit = unit; this.series = series;
      this.points = new Points(series.map((s) => s.reduce || "mean"));
      this.marks = [];
      this.xHint = 10;
      this.figure = el("figure", { class: "chart", "data-chart": id, "data-points": "0" });
      const caption = el("figcaption");
      caption.append(el("span", {}, title), el("span", { class: "muted" }, unit));
      this.svg = svg("svg", { role: "img", "aria-label": title });
      this.legend = el("ul", { class: "legend" });
      this.values = series.map((s, i) => {
        const item = el("li");
        const swatch = el("span", { class: "swatch" + (s.dashed ? " dashed" : "") });
        swatch.style.borderTopColor = s.color || PALETTE[i % PALETTE.length];
        const val = el("span", { class: "val" }, "–");
        item.append(swatch, document.createTextNode(s.name), val);
        this.legend.append(item);
        return val;
      });
      this.tip = el("div", { class: "tip" });
      this.figure.append(caption, this.svg, this.legend, this.tip);
      this.svg.addEventListener("mousemove", (e) => this.hover(e));
      this.svg.addEventListener("mouseleave", () => { this.figure.classList.remove("hover"); this.tip.style.display = "none"; });
    }
    add(tick) {
      const values = this.series.map((s) => { const v = s.get(tick); return v === undefined ? null : v; });
      this.points.push(tick.t, values);
      this.last = values;
    }
    mark(t, label) { this.marks.push({ t, label }); }
    geometry() {
      const width = Math.max(this.svg.clientWidth || 0, 280), height = this.svg.clientHeight || 210;
      return { width, height, left: 52, right: 12, top: 14, bottom: 24 };
    }
    draw() {
      if (this.last) this.last.forEach((v, i) => { this.values[i].textContent = v === null ? "–" : num(v); });
      const { xs, cols } = this.points.view();
      this.figure.dataset.points = String(xs.length);
      const g = this.geometry();
      const plotW = g.width - g.left - g.right, plotH = g.height - g.top - g.bottom;
      const xMax = Math.max(xs.length ? xs[xs.length - 1] : 0, this.xHint, 1);
      let yTop = 0;
      cols.forEach((col) => col.forEach((v) => { if (v !== null && v > yTop) yTop = v; }));
      yTop = niceMax(yTop);
      const X = (x) => g.left + (x / xMax) * plotW;
      const Y = (y) => g.top + plotH - (y / yTop) * plotH;
      this.X = X; this.xMax = xMax;
      const nodes = [];
      for (let i = 0; i <= 4; i++) {
        const v = (yTop * i) / 4, y = Y(v);
        nodes.push(svg("line", { class: "grid", x1: g.left, x2: g.width - g.right, y1: y, y2: y }));
        const label = svg("text", { class: "yl", x: g.left - 6, y });
        label.textContent = num(v);
        nodes.push(label);
      }
      const step = TIME_STEPS.find((s) => xMax / s <= 6) || 86400;
      for (let t = 0; t <= xMax + 1e-9; t += step) {
        const label = svg("text", { class: "xl", x: X(t), y: g.height - 6 });
        label.textContent = clock(t);
        nodes.push(label);
      }
      nodes.push(svg("line", { class: "axis", x1: g.left, x2: g.width - g.right, y1: Y(0), y2: Y(0) }));
      this.series.forEach((s, i) => {
        let d = "", open = false;
        cols[i].forEach((v, k) => {
          if (v === null) { open = false; return; }
          const x = X(xs[k]).toFixed(1), y = Y(v).toFixed(1);
          d += (open ? "L" : "M") + x + " " + y + (open ? "" : "l0.01 0");
          open = true;
        });
        const path = svg("path", { class: "line" + (s.dashed ? " dashed" : ""), d: d || "M0 0" });
        path.style.stroke = s.color || PALETTE[i % PALETTE.length];
        nodes.push(path);
      });
      for (const m of this.marks) {
        const x = X(m.t);
        nodes.push(svg("line", { class: "mark", x1: x, x2: x, y1: g.top, y2: Y(0) }));
        const label = svg("text", { class: "mark", x: x + 3, y: g.top + 2 });
        label.textContent = m.label;
        nodes.push(label);
      }
      this.guide = svg("line", { class: "guide", x1: 0, x2: 0, y1: g.top, y2: Y(0) });
      nodes.push(this.guide);
      this.svg.replaceChildren(...nodes);
    }
    hover(event) {
      const { xs, cols } = this.points.view();
      if (!xs.length || !this.X) return;
      const box = this.svg.getBoundingClientRect(), g = this.geometry();
      const t = ((event.clientX - box.left - g.left) / (g.width - g.left - g.right)) * this.xMax;
      let k = 0;
      for (let i = 1; i < xs.length; i++) if (Math.abs(xs[i] - t) < Math.abs(xs[k] - t)) k = i;
      const x = this.X(xs[k]);
      this.guide.setAttribute("x1", x); this.guide.setAttribute("x2", x);
      this.figure.classList.add("hover");
      const lines = [el("div", { class: "tx" }, clock(xs[k]))];
      this.series.forEach((s, i) => {
        const row = el("div");
        const dot = el("span", { class: "dot" });
        dot.style.background = s.color || PALETTE[i % PALETTE.length];
        row.append(dot, document.createTextNode(`${s.name}: ${num(cols[i][k])} ${this.unit}`));
        lines.push(row);
      });
      this.tip.replaceChildren(...lines);
      this.tip.style.display = "block";
      this.tip.style.left = Math.min(x + 12, g.width - 170) + "px";
      this.tip.style.top = "36px";
    }
  }

  window.surgeCharts = { Chart, PALETTE, num, int, clock, el };
})();
