// Fragments loaded into a modal by htmx: a 404 or 502 answer carries a message for the user
// ("no such job", "the cluster did not answer"); htmx would drop it, so it is shown instead.
document.body.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var target = event.detail.target;
  if (target && target.closest(".modal") && (status === 404 || status === 502 || status === 503)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
