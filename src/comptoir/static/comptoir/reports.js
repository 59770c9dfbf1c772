/* Report charts: each <canvas data-chart="name"> is drawn from the JSON the page embeds
   (#report-charts, written by Django's json_script), with the vendored Chart.js. */
(function () {
  "use strict";
  const PALETTE = ["#1d6b57", "#e09f3e", "#3d5a80", "#9e2a2b", "#7b9e89", "#8d6a9f", "#c9a227",
                   "#5b8e7d", "#bc4b51", "#6c757d"];

  function percentAxis(axis) {
    axis.min = 0;
    axis.ticks = Object.assign({}, axis.ticks, { callback: (v) => v + " %" });
    return axis;
  }

  function config(spec) {
    const opts = spec.options || {};
    const doughnut = spec.type === "doughnut";
    const datasets = spec.datasets.map(function (ds, i) {
      const colour = PALETTE[i % PALETTE.length];
      const line = (ds.type || spec.type) === "line";
      const out = Object.assign({}, ds);
      if (doughnut) {
        out.backgroundColor = spec.labels.map((_, j) => PALETTE[j % PALETTE.length]);
      } else {
        out.backgroundColor = line ? colour : colour + "cc";
        out.borderColor = colour;
        out.borderWidth = line ? 2 : 0;
        if (line) { out.tension = 0.25; out.pointRadius = ds.pointRadius ?? 2; }
        if (line && spec.type !== "line") { out.order = -1; }
      }
      return out;
    });
    const options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } },
                 tooltip: { mode: doughnut ? "nearest" : "index", intersect: false } },
    };
    if (!doughnut) {
      const value = { beginAtZero: true, stacked: !!opts.stacked, ticks: { precision: 0 } };
      if (opts.percent) { percentAxis(value); }
      if (opts.percent && opts.stacked) { value.max = 100; }
      const category = { stacked: !!opts.stacked,
                         ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } };
      if (opts.horizontal) {
        options.indexAxis = "y";
        options.scales = { x: value, y: category };
      } else {
        options.scales = { x: category, y: value };
      }
      if (opts.y1) {
        options.scales.y1 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                              ticks: { precision: 0 } };
      }
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw() {
    const source = document.getElementById("report-charts");
    if (!source || typeof Chart === "undefined") { return; }
    const specs = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const spec = specs[canvas.dataset.chart];
      if (spec) {
        new Chart(canvas, config(spec));
        canvas.dataset.drawn = "true";
      }
    });
    document.body.dataset.chartsDrawn = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
