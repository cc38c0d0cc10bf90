/* Mass listing progress page: polls the job's small JSON status view and updates the progress bar and
 * the counters; when the job ends, reloads once so the results table and the buttons ("Ponów nieudane") show the
 * final state. Without JavaScript the page works too: "Odśwież" reloads it by hand.
 *
 * No inline scripts (CSP): the status URL comes from a data- attribute; values are written with textContent only.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function setText(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = String(value);
  }

  function start(box) {
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("listing-progress");
    var failures = 0;

    function apply(data) {
      if (bar) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
      }
      setText("listing-progress-text", data.percent + "%");
      setText("listing-status", data.status_label);
      setText("listing-done", data.done);
      setText("listing-total", data.total);
      setText("listing-succeeded", data.succeeded);
      setText("listing-skipped", data.skipped);
      setText("listing-failed", data.failed);
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.statusText);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          apply(data);
          if (data.finished) {
            box.setAttribute("data-running", "0");
            window.location.reload();
            return;
          }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          failures += 1;
          if (failures < 30) window.setTimeout(poll, POLL_MS * Math.min(failures + 1, 5));
        });
    }

    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("listing-job");
    if (box && box.getAttribute("data-running") === "1" && window.fetch) {
      var reload = document.getElementById("listing-reload");
      if (reload) reload.hidden = true;
      start(box);
    }
  });
})();
