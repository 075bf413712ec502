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

  var DAY = 86400000;
  var today = Math.floor(Date.now() / DAY) * DAY;

  // A cumulative curve starts from 0 the day before its first point (a week ago at the latest, so
  // that the axis spans days) and goes on to today.
  function cumulative(points) {
    if (!points.length) { return []; }
    var data = [{x: Math.min(points[0].time - DAY, today - 7 * DAY), y: 0}];
    points.forEach(function (p) { data.push({x: p.time, y: p.count}); });
    var last = points[points.length - 1];
    if (last.time < today) { data.push({x: today, y: last.count}); }
    return data;
  }

  function series(label, points, colour) {
    return {label: label, data: cumulative(points),
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
