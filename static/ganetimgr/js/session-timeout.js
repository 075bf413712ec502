// Log the page out when the login ends: submit the logout form (POST, with its CSRF token) at the
// moment the server ends the session too, and land on the login page saying why.
(function () {
  "use strict";
  // Browsers fire a setTimeout longer than 2^31-1 ms (about 24.8 days) at once: wait in shorter steps.
  var MAX_DELAY = 2147483647;
  var script = document.getElementById("session-timeout");
  var seconds = parseInt(script.dataset.secondsLeft, 10);
  if (isNaN(seconds)) { return; }
  var endsAt = Date.now() + Math.max(seconds, 0) * 1000 + 500;

  function logOut() {
    var form = document.getElementById("logout-form");
    if (!form) { window.location.assign(script.dataset.expiredUrl); return; }
    var next = document.createElement("input");
    next.type = "hidden";
    next.name = "next";
    next.value = script.dataset.expiredUrl;
    form.appendChild(next);
    form.submit();
  }

  function wait() {
    var left = endsAt - Date.now();
    if (left <= 0) { logOut(); return; }
    window.setTimeout(wait, Math.min(left, MAX_DELAY));
  }
  wait();
})();
