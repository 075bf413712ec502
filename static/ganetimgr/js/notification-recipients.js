// The compose form's recipients: a ticked search result moves into the chosen list, so that the next
// search (htmx replaces the results) keeps it. Without this script the ticked results are still sent.
(function () {
  "use strict";
  var chosen = document.getElementById("recipient-chosen");
  var results = document.getElementById("recipient-results");
  var search = document.getElementById("recipient-search");
  if (!chosen || !results) {
    return;
  }
  function chosenBox(value) {
    var boxes = chosen.querySelectorAll('input[name="to"]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === value) {
        return boxes[i];
      }
    }
    return null;
  }
  results.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "to" || !box.checked) {
      return;
    }
    var item = box.closest(".recipient");
    var existing = chosenBox(box.value);
    if (existing) {
      existing.checked = true;
      item.remove();
    } else {
      chosen.appendChild(item);
    }
  });
  // New results: leave out what is chosen already (its ticked box is in the chosen list).
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== results) {
      return;
    }
    results.querySelectorAll('input[name="to"]').forEach(function (box) {
      var existing = chosenBox(box.value);
      if (existing && existing.checked) {
        box.closest(".recipient").remove();
      }
    });
  });
  // Enter in the search box searches; it does not submit the form.
  if (search) {
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }
})();
