// Log the page out when the login ends: submit the logout form (POST, with its CSRF token) at the
// moment the server ends the session too, and land on the login page saying why.
(function () {
  "use strict";
  var script = document.getElementById("session-timeout");
  var seconds = parseInt(script.dataset.secondsLeft, 10);
  if (isNaN(seconds)) { return; }
  window.setTimeout(function () {
    var form = document.getElementById("logout-form");
    if (!form) { window.location.assign(script.dataset.expiredUrl); return; }
    var next = document.createElement("input");
    next.type = "hidden";
    next.name = "next";
    next.value = script.dataset.expiredUrl;
    form.appendChild(next);
    form.submit();
  }, Math.max(seconds, 0) * 1000 + 500);
})();
