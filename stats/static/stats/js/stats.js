/* The statistics page's charts (Chart.js), drawn from the JSON block #stats-data that the server wrote
   (its numbers are also in the tables under each chart). Times are milliseconds since the epoch. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var language = document.documentElement.lang || undefined;
  var colours = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"];

  function day(ms) {
    return new Date(ms).toLocaleDateString(language, {timeZone: "UTC", year: "numeric", month: "short", day: "numeric"});
  }

  function timeAxes() {
    return {
      x: {type: "linear", ticks: {callback: function (value) { return day(value); }, maxTicksLimit: 6}},
      y: {beginAtZero: true, ticks: {precision: 0}}
    };
  }

  function timeTooltip() {
    return {callbacks: {title: function (items) { return items.length ? day(items[0].parsed.x) : ""; }}};
  }

  function series(label, points, colour) {
    return {label: label, data: points.map(function (p) { return {x: p.time, y: p.count}; }),
            borderColor: colour, backgroundColor: colour, stepped: true, pointRadius: points.length > 60 ? 0 : 2};
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false}, config.options);
      new Chart(canvas, config);
    }
  }

  draw("chart-applications", {
    type: "line",
    data: {datasets: [series(data.applications.label, data.applications.points, colours[0])]},
    options: {scales: timeAxes(), plugins: {legend: {display: false}, tooltip: timeTooltip()}}
  });
  draw("chart-instances", {
    type: "line",
    data: {datasets: data.instances.clusters.map(function (cluster, i) {
      return series(cluster.name, cluster.points, colours[i % colours.length]);
    })},
    options: {scales: timeAxes(), plugins: {tooltip: timeTooltip()}}
  });
  draw("chart-states", {
    type: "bar",
    data: {labels: data.states.clusters, datasets: [
      {label: data.states.running_label, data: data.states.running, backgroundColor: "#198754"},
      {label: data.states.stopped_label, data: data.states.stopped, backgroundColor: "#adb5bd"}
    ]},
    options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}}
  });
}());
