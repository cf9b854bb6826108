// The statistics page's charts, drawn with the vendored Chart.js from the figures the server put in the
// page (json_script "dash-chart-data"). Every figure is also in the table beside its chart, so the page is
// complete without JavaScript: a chart's <figure> stays hidden until it is drawn.
(function () {
  "use strict";
  var source = document.getElementById("dash-chart-data");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;

  var INK = "#1f2933";
  var MUTED = "#616e7c";
  var GRID = "#e4e7eb";
  var GRADE_COLOURS = ["#2f8f4e", "#3b73b9", "#e0a030", "#b3261e"]; // 优 良 中 差
  var BUCKET_COLOURS = ["#b3261e", "#e0703a", "#e8b03c", "#a5c96a", "#4fa36a", "#1f6b3a", "#b8bec6"];
  var COVERAGE_COLOURS = ["#1d4e89", "#4f86d9", "#a8c8ee", "#dfe3e8"]; // 已完成 审核中 未评定 未抽中

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = INK;
  Chart.defaults.maintainAspectRatio = false;
  if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
    Chart.defaults.animation = false;
  }

  function formatValue(value, options) {
    var text = options.decimals ? value.toFixed(options.decimals) : String(value);
    return text + (options.suffix || "");
  }

  // Writes each bar's value at its end (inside its segment for a stacked bar, with the stack's total at the
  // end), so the chart reads without hovering.
  var valueLabels = {
    id: "dashValueLabels",
    afterDatasetsDraw: function (chart, args, options) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === "y";
      ctx.save();
      ctx.font = "600 12px " + Chart.defaults.font.family;
      chart.data.datasets.forEach(function (dataset, datasetIndex) {
        var meta = chart.getDatasetMeta(datasetIndex);
        if (meta.hidden) return;
        meta.data.forEach(function (bar, index) {
          var value = dataset.data[index];
          if (value === null || value === undefined || (value === 0 && !options.showZero)) return;
          var text = formatValue(value, options);
          if (options.stacked) {
            if (Math.abs(bar.x - bar.base) < ctx.measureText(text).width + 8) return;
            ctx.fillStyle = options.insideColours[datasetIndex];
            ctx.textAlign = "center";
            ctx.textBaseline = "middle";
            ctx.fillText(text, (bar.x + bar.base) / 2, bar.y);
          } else if (horizontal) {
            ctx.fillStyle = INK;
            ctx.textAlign = "left";
            ctx.textBaseline = "middle";
            ctx.fillText(text, bar.x + 4, bar.y);
          } else {
            ctx.fillStyle = INK;
            ctx.textAlign = "center";
            ctx.textBaseline = "bottom";
            ctx.fillText(text, bar.x, bar.y - 3);
          }
        });
      });
      if (options.stackTotals) {
        var last = chart.getDatasetMeta(chart.data.datasets.length - 1);
        ctx.fillStyle = INK;
        ctx.textAlign = "left";
        ctx.textBaseline = "middle";
        options.stackTotals.forEach(function (text, index) {
          var end = 0;
          chart.data.datasets.forEach(function (dataset, datasetIndex) {
            var bar = chart.getDatasetMeta(datasetIndex).data[index];
            if (bar && !chart.getDatasetMeta(datasetIndex).hidden) end = Math.max(end, bar.x);
          });
          ctx.fillText(text, end + 6, last.data[index].y);
        });
      }
      ctx.restore();
    },
  };

  function countAxis(title) {
    return {
      beginAtZero: true,
      grace: "12%",
      ticks: { precision: 0, color: MUTED },
      grid: { color: GRID },
      title: { display: !!title, text: title, color: MUTED },
    };
  }

  function categoryAxis() {
    return { grid: { display: false }, ticks: { color: INK, autoSkip: false } };
  }

  function options(extra) {
    var base = {
      responsive: true,
      layout: { padding: { right: 16, top: 4 } },
      plugins: {
        legend: { display: false, labels: { boxWidth: 14, boxHeight: 14 } },
        tooltip: { enabled: true },
        dashValueLabels: {},
      },
    };
    return Object.assign(base, extra || {});
  }

  function series(spec, index, colours, more) {
    var s = spec.series[index];
    return Object.assign(
      { label: s.label, data: s.data, backgroundColor: colours, borderWidth: 0, borderRadius: 3, maxBarThickness: 48 },
      more || {}
    );
  }

  var builders = {
    grades: function (spec) {
      var opts = options({ scales: { x: categoryAxis(), y: countAxis("份数") } });
      opts.plugins.legend.display = true;
      opts.plugins.legend.position = "top";
      return {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: [series(spec, 0, "#9cc2ea"), series(spec, 1, "#b3261e")],
        },
        options: opts,
      };
    },
    execution: function (spec) {
      return {
        type: "bar",
        data: { labels: spec.labels, datasets: [series(spec, 0, BUCKET_COLOURS)] },
        options: options({ scales: { x: categoryAxis(), y: countAxis("项目数") } }),
      };
    },
    average: function (spec) {
      var opts = options({
        indexAxis: "y",
        scales: {
          x: { beginAtZero: true, max: 100, grid: { color: GRID }, ticks: { color: MUTED }, title: { display: true, text: "平均自评得分（分）", color: MUTED } },
          y: categoryAxis(),
        },
      });
      opts.layout.padding.right = 56;
      opts.plugins.dashValueLabels = { decimals: 2 };
      return { type: "bar", data: { labels: spec.labels, datasets: [series(spec, 0, "#1d4e89", { maxBarThickness: 28 })] }, options: opts };
    },
    excellent: function (spec) {
      var opts = options({
        indexAxis: "y",
        scales: {
          x: {
            beginAtZero: true,
            max: 100,
            grid: { color: GRID },
            ticks: { color: MUTED, callback: function (value) { return value + "%"; } },
            title: { display: true, text: "自评为“优”的占比", color: MUTED },
          },
          y: categoryAxis(),
        },
      });
      opts.layout.padding.right = 64;
      opts.plugins.dashValueLabels = { suffix: "%", decimals: 2, showZero: true };
      return { type: "bar", data: { labels: spec.labels, datasets: [series(spec, 0, GRADE_COLOURS[0], { maxBarThickness: 28 })] }, options: opts };
    },
    coverage: function (spec) {
      var datasets = spec.series.map(function (s, index) {
        return series(spec, index, COVERAGE_COLOURS[index], { maxBarThickness: 26, borderRadius: 0 });
      });
      var axis = countAxis("份数");
      axis.stacked = true;
      var opts = options({ indexAxis: "y", scales: { x: axis, y: Object.assign(categoryAxis(), { stacked: true }) } });
      opts.layout.padding.right = 110;
      opts.plugins.legend.display = true;
      opts.plugins.legend.position = "top";
      opts.plugins.dashValueLabels = {
        stacked: true,
        insideColours: ["#fff", "#fff", INK, INK],
        stackTotals: spec.sampled.map(function (sampled, index) {
          return "抽中 " + sampled + " / " + spec.approved[index];
        }),
      };
      return { type: "bar", data: { labels: spec.labels, datasets: datasets }, options: opts };
    },
    findings: function (spec) {
      return {
        type: "bar",
        data: { labels: spec.labels, datasets: [series(spec, 0, "#e0703a", { maxBarThickness: 24 })] },
        options: options({ indexAxis: "y", scales: { x: countAxis("问题数"), y: categoryAxis() } }),
      };
    },
  };

  // A horizontal chart grows with its rows, so long department names and many units stay legible.
  function sizeFor(figure, spec) {
    if (!figure.classList.contains("dash-chart-horizontal")) return;
    var perRow = 36;
    var legend = spec.series.length > 1 ? 40 : 0;
    figure.style.height = Math.max(160, spec.labels.length * perRow + legend + 56) + "px";
  }

  document.querySelectorAll("[data-dash-chart]").forEach(function (figure) {
    var key = figure.getAttribute("data-dash-chart");
    var spec = data[key];
    if (!spec || !builders[key]) return;
    figure.hidden = false;
    sizeFor(figure, spec);
    var config = builders[key](spec);
    config.plugins = [valueLabels];
    new Chart(figure.querySelector("canvas"), config);
    figure.classList.add("dash-drawn");
  });
})();
