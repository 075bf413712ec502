// The confirmation modal of instance actions: a button with data-url (and data-target, the element the
// answer replaces) opens it; confirming POSTs through htmx (CSRF header from <body hx-headers>),
// or as a plain form when htmx is missing.
(function () {
  "use strict";
  var modal = document.getElementById("confirm-action");
  if (!modal) { return; }
  var form = document.getElementById("confirm-action-form");
  var current = null;
  modal.addEventListener("show.bs.modal", function (event) {
    current = event.relatedTarget;
    form.action = current.dataset.url;
    form.elements.next.value = current.dataset.next || "";
    modal.querySelector("[data-field=action]").textContent = current.dataset.actionLabel;
    modal.querySelector("[data-field=instance]").textContent = current.dataset.instance;
    modal.querySelector("[data-field=confirm]").textContent = current.dataset.actionLabel;
  });
  form.addEventListener("submit", function (event) {
    if (!window.htmx || !current) { return; }
    event.preventDefault();
    window.htmx.ajax("POST", current.dataset.url, {
      target: current.dataset.target, swap: "outerHTML", values: {next: current.dataset.next || ""}
    });
    window.bootstrap.Modal.getOrCreateInstance(modal).hide();
  });
})();
