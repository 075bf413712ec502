/* Graph date ranges: each form[data-graph-range] sets start/end (epoch seconds) on the images
   img[data-graph] inside the element its attribute names. Presets: today, yesterday, 7 or 30 days. */
(function () {
  "use strict";
  function seconds(date) { return Math.floor(date.getTime() / 1000); }

  function midnight(date) { var d = new Date(date); d.setHours(0, 0, 0, 0); return d; }

  function range(preset) {
    var now = new Date();
    if (preset === "today") { return [midnight(now), now]; }
    if (preset === "yesterday") {
      var end = midnight(now);
      var start = new Date(end); start.setDate(start.getDate() - 1);
      return [start, end];
    }
    return [new Date(now.getTime() - Number(preset) * 86400000), now];
  }

  function apply(form, start, end, label) {
    var container = document.querySelector(form.getAttribute("data-graph-range")) || document;
    container.querySelectorAll("img[data-graph]").forEach(function (img) {
      var url = img.getAttribute("data-graph") + "?start=" + seconds(start) + "&end=" + seconds(end);
      if (img.hasAttribute("data-nic")) { url += "&nic=" + img.getAttribute("data-nic"); }
      img.setAttribute("src", url);
    });
    var text = form.querySelector("[data-range-label]");
    if (text) { text.textContent = label; }
  }

  function describe(start, end) {
    var language = document.documentElement.lang || undefined;
    var options = {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"};
    return start.toLocaleString(language, options) + " – " + end.toLocaleString(language, options);
  }

  document.querySelectorAll("form[data-graph-range]").forEach(function (form) {
    form.querySelectorAll("[data-preset]").forEach(function (button) {
      button.addEventListener("click", function () {
        var r = range(button.getAttribute("data-preset"));
        apply(form, r[0], r[1], describe(r[0], r[1]));
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var start = new Date(form.elements.from.value + "T00:00:00");
      var end = new Date(form.elements.to.value + "T00:00:00");
      end.setDate(end.getDate() + 1);  // the "to" day is included
      if (isNaN(start) || isNaN(end) || start >= end) { return; }
      var now = new Date();
      if (end > now) { end = now; }
      apply(form, start, end, describe(start, end));
    });
  });
}());
