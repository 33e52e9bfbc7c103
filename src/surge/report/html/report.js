// surge HTML report: sortable tables and chart hover values. No network, no libraries.
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.getAttribute("data-v");
    if (numeric) {
      var n = parseFloat(raw === null ? cell.textContent : raw);
      return isNaN(n) ? -Infinity : n;
    }
    return (raw === null ? cell.textContent : raw).toLowerCase();
  }

  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute("data-sort") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    if (th.getAttribute("aria-sort") === null && numeric) { ascending = false; }
    table.querySelectorAll("th[data-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.setAttribute("tabindex", "0");
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th); }
      });
    });
  });

  function nearest(list, value) {
    var best = 0, distance = Infinity;
    for (var i = 0; i < list.length; i++) {
      var d = Math.abs(list[i] - value);
      if (d < distance) { distance = d; best = i; }
    }
    return best;
  }

  document.querySelectorAll("figure.chart[data-chart]").forEach(function (figure) {
    var data;
    try { data = JSON.parse(figure.getAttribute("data-chart")); } catch (e) { return; }
    var svg = figure.querySelector("svg");
    var guide = figure.querySelector(".guide");
    if (!svg || !guide || !data.px.length) { return; }
    var tip = document.createElement("div");
    tip.className = "tip";
    figure.appendChild(tip);

    function show(event) {
      var box = svg.getBoundingClientRect();
      var scale = box.width / data.width;
      var i = nearest(data.px, (event.clientX - box.left) / scale);
      guide.setAttribute("x1", data.px[i]);
      guide.setAttribute("x2", data.px[i]);
      figure.classList.add("hover");
      tip.textContent = "";
      var head = document.createElement("div");
      head.className = "tx";
      head.textContent = data.x[i];
      tip.appendChild(head);
      data.series.forEach(function (series) {
        var line = document.createElement("div");
        var dot = document.createElement("span");
        dot.className = "dot";
        dot.style.background = series.color;
        line.appendChild(dot);
        line.appendChild(document.createTextNode(series.name + ": " + series.values[i]));
        tip.appendChild(line);
      });
      tip.style.display = "block";
      var frame = figure.getBoundingClientRect();
      var left = box.left - frame.left + data.px[i] * scale + 12;
      if (left + tip.offsetWidth > frame.width) { left = left - tip.offsetWidth - 24; }
      tip.style.left = Math.max(0, left) + "px";
      tip.style.top = (box.top - frame.top + data.top * scale) + "px";
    }

    function hide() { figure.classList.remove("hover"); tip.style.display = "none"; }
    svg.addEventListener("mousemove", show);
    svg.addEventListener("mouseleave", hide);
  });
})();
