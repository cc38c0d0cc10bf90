/* "Synchronizuj aukcje" progress page: polls the job's JSON status and updates each account's row (status,
 * progress, current step, summary); when the job ends it reloads once so the page shows the final state.
 * Without JavaScript "Odśwież" reloads it by hand.
 *
 * No inline scripts (CSP): the status URL comes from a data- attribute; values are written with textContent only.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function cell(row, name) {
    return row ? row.querySelector("." + name) : null;
  }

  function setText(node, value) {
    if (node) node.textContent = String(value);
  }

  function apply(data) {
    setText(document.getElementById("sync-job-status"), data.status_label);
    setText(document.getElementById("sync-job-done"), data.done);
    data.accounts.forEach(function (item) {
      var row = document.querySelector('#sync-job-accounts tr[data-item="' + item.id + '"]');
      if (!row) return;
      row.className = "sync-job-" + item.status;
      setText(cell(row, "status"), item.status_label);
      setText(cell(row, "step"), item.step_label);
      setText(cell(row, "summary"), item.summary);
      setText(cell(row, "errors"), item.errors.join("; "));
      setText(cell(row, "percent"), item.percent + "%");
      var bar = row.querySelector("progress");
      if (bar) bar.value = item.percent;
    });
  }

  function start(box) {
    var url = box.getAttribute("data-status-url");
    var failures = 0;

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
    var box = document.getElementById("sync-job");
    if (box && box.getAttribute("data-running") === "1" && window.fetch) {
      var reload = document.getElementById("sync-job-reload");
      if (reload) reload.hidden = true;
      start(box);
    }
  });
})();
