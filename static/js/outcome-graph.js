/* Outcome graph (kapclinic.measurement.outcomes.graph): draws each instrument's scores from the JSON in
   <script type="application/json" id="outcome-graph-data"> with the vendored Chart.js.
   CSP-safe: a static file, no eval, no inline style. The tables under the charts carry the same
   data for screen readers and for print; the charts only add the picture.
   JSON shape: docs/measurement.md, "Outcome graph". */
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var INK = "#1f2d3d";
  var SERIES = "#0b3d91";
  var THRESHOLD_STYLE = {
    response: { color: "#1d6b2f", dash: [8, 4] },
    remission: { color: "#5b2a86", dash: [3, 3] },
    flag: { color: "#8a3b00", dash: [12, 4, 2, 4] }
  };
  // Severity, best to worst; light enough for the labels drawn on them, and printable.
  var BAND_FILLS = [
    "rgba(29, 107, 47, 0.10)",
    "rgba(190, 160, 0, 0.14)",
    "rgba(230, 120, 0, 0.14)",
    "rgba(210, 70, 0, 0.16)",
    "rgba(176, 0, 32, 0.17)"
  ];
  var DAY_STEPS = [1, 2, 7, 14, 28, 56, 91, 182, 364];

  function bandFill(index, count, lowerIsBetter) {
    var rank = count > 1 ? Math.round((index * (BAND_FILLS.length - 1)) / (count - 1)) : 0;
    return BAND_FILLS[lowerIsBetter ? rank : BAND_FILLS.length - 1 - rank];
  }

  // Bands, threshold lines and session markers, drawn under the data.
  var overlays = {
    id: "kapOverlays",
    beforeDatasetsDraw: function (chart, args, options) {
      var ctx = chart.ctx;
      var area = chart.chartArea;
      var x = chart.scales.x;
      var y = chart.scales.y;
      var width = area.right - area.left;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, width, area.bottom - area.top);
      ctx.clip();
      ctx.font = "12px system-ui, sans-serif";
      var bands = options.bands || [];
      bands.forEach(function (band, index) {
        var top = y.getPixelForValue(band.high);
        var bottom = y.getPixelForValue(band.low);
        ctx.fillStyle = bandFill(index, bands.length, options.lowerIsBetter);
        ctx.fillRect(area.left, top, width, bottom - top);
        if (bottom - top >= 14) {
          ctx.fillStyle = INK;
          ctx.textAlign = "right";
          ctx.fillText(band.label, area.right - 4, top + 13);
        }
      });
      (options.thresholds || []).forEach(function (line) {
        var style = THRESHOLD_STYLE[line.kind] || THRESHOLD_STYLE.flag;
        var py = y.getPixelForValue(line.value);
        ctx.strokeStyle = style.color;
        ctx.lineWidth = 2;
        ctx.setLineDash(style.dash);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
        ctx.fillStyle = style.color;
        ctx.textAlign = "left";
        ctx.fillText(line.label, area.left + 4, py - 4);
      });
      ctx.setLineDash([2, 4]);
      ctx.lineWidth = 1.5;
      (options.sessions || []).forEach(function (session) {
        var px = x.getPixelForValue(session.t);
        if (px < area.left || px > area.right) {
          return;
        }
        ctx.strokeStyle = "#4a4a4a";
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.fillStyle = INK;
        ctx.textAlign = "left";
        ctx.fillText(session.label, px + 3, area.bottom - 4);
      });
      ctx.restore();
    }
  };

  function timeRange(data) {
    var times = [];
    data.series.forEach(function (s) {
      s.points.forEach(function (p) { times.push(p.t); });
    });
    if (data.mood) {
      data.mood.points.forEach(function (p) { times.push(p.t); });
    }
    data.sessions.forEach(function (s) { times.push(s.t); });
    var min = Math.min.apply(null, times);
    var max = Math.max.apply(null, times);
    var pad = Math.max(DAY_MS, (max - min) * 0.03);
    return { min: min - pad, max: max + pad };
  }

  function xAxis(range, format) {
    return {
      type: "linear",
      min: range.min,
      max: range.max,
      grid: { color: "rgba(0, 0, 0, 0.06)" },
      ticks: {
        color: INK,
        maxRotation: 0,
        autoSkip: true,
        callback: function (value) { return format.format(new Date(value)); }
      },
      // Ticks on whole days (noon UTC, the same calendar day in every clinic time zone).
      afterBuildTicks: function (axis) {
        var days = (range.max - range.min) / DAY_MS;
        var step = DAY_STEPS.find(function (s) { return days / s <= 7; }) || 728;
        var first = Math.ceil((range.min - DAY_MS / 2) / DAY_MS) * DAY_MS + DAY_MS / 2;
        var ticks = [];
        for (var t = first; t <= range.max; t += step * DAY_MS) {
          ticks.push({ value: t });
        }
        axis.ticks = ticks;
      }
    };
  }

  function baseOptions(range, format, overlayOptions, yMin, yMax, yTitle) {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
      parsing: false,
      plugins: {
        legend: { labels: { color: INK, usePointStyle: true } },
        tooltip: {
          callbacks: {
            title: function (items) {
              return items.length ? format.format(new Date(items[0].parsed.x)) : "";
            },
            label: function (item) {
              var raw = item.raw || {};
              var text = item.dataset.label + ": " + item.parsed.y;
              if (raw.band) { text += " (" + raw.band + ")"; }
              if (raw.occasion) { text += ", " + raw.occasion.toLowerCase(); }
              return text;
            }
          }
        },
        kapOverlays: overlayOptions
      },
      scales: {
        x: xAxis(range, format),
        y: {
          min: yMin,
          max: yMax,
          title: { display: true, text: yTitle, color: INK },
          ticks: { color: INK, precision: 0, includeBounds: false },
          grid: { color: "rgba(0, 0, 0, 0.06)" }
        }
      }
    };
  }

  var occasions = {};

  function point(p) {
    return { x: p.t, y: p.score, band: p.band, occasion: occasions[p.occasion] || "" };
  }

  function drawSeries(series, data, range, format) {
    var canvas = document.getElementById(series.canvas);
    if (!canvas) { return; }
    var yTitle = series.score_name === "total" ? "Total score" : series.score_name;
    new Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [{
          label: series.title,
          data: series.points.map(point),
          showLine: true,
          borderColor: SERIES,
          backgroundColor: SERIES,
          borderWidth: 2,
          pointRadius: 3.5
        }]
      },
      options: baseOptions(range, format, {
        bands: series.bands,
        thresholds: series.thresholds,
        sessions: data.sessions,
        lowerIsBetter: series.lower_is_better
      }, series.y_min, series.y_max, yTitle),
      plugins: [overlays]
    });
  }

  function drawMood(mood, data, range, format) {
    var canvas = document.getElementById(mood.canvas);
    if (!canvas) { return; }
    var onset = [];
    var fading = [];
    mood.pairs.forEach(function (pair, index) {
      onset.push(point(pair.before), point(pair.after), { x: pair.after.t, y: null });
      var next = mood.pairs[index + 1];
      if (next) {
        fading.push(point(pair.after), point(next.before), { x: next.before.t, y: null });
      }
    });
    var before = mood.points.filter(function (p) { return p.occasion === "pre_session"; });
    var after = mood.points.filter(function (p) { return p.occasion === "post_session"; });
    var other = mood.points.filter(function (p) {
      return p.occasion !== "pre_session" && p.occasion !== "post_session";
    });
    var datasets = [
      { label: "Onset (before to after a session)", data: onset, showLine: true, spanGaps: false,
        borderColor: "#1d6b2f", backgroundColor: "#1d6b2f", borderWidth: 2.5, pointRadius: 0 },
      { label: "Fading (to the next session)", data: fading, showLine: true, spanGaps: false,
        borderColor: "#8a3b00", backgroundColor: "#8a3b00", borderWidth: 2, borderDash: [6, 4],
        pointRadius: 0 },
      { label: "Before a session", data: before.map(point), pointStyle: "circle",
        borderColor: SERIES, backgroundColor: "#ffffff", borderWidth: 2, pointRadius: 5 },
      { label: "After a session", data: after.map(point), pointStyle: "triangle",
        borderColor: SERIES, backgroundColor: SERIES, pointRadius: 6 }
    ];
    if (other.length) {
      datasets.push({ label: "Other ratings", data: other.map(point), pointStyle: "rect",
        borderColor: INK, backgroundColor: INK, pointRadius: 4 });
    }
    new Chart(canvas, {
      type: "scatter",
      data: { datasets: datasets },
      options: baseOptions(range, format, { sessions: data.sessions }, 0, 10, "Mood (0-10)"),
      plugins: [overlays]
    });
  }

  function main() {
    var source = document.getElementById("outcome-graph-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    occasions = data.occasions;
    // en-CA formats dates as YYYY-MM-DD, the format of the tables.
    var format = new Intl.DateTimeFormat("en-CA", {
      timeZone: data.time_zone, year: "numeric", month: "2-digit", day: "2-digit"
    });
    var range = timeRange(data);
    data.series.forEach(function (series) { drawSeries(series, data, range, format); });
    if (data.mood) { drawMood(data.mood, data, range, format); }
    // Redraw at the paper's width when printing (Chart.js sizes canvases to the screen).
    window.addEventListener("beforeprint", function () {
      Object.values(Chart.instances).forEach(function (chart) { chart.resize(); });
    });
    window.addEventListener("afterprint", function () {
      Object.values(Chart.instances).forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
}());
