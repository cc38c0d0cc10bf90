/* "Wysyłam z Allegro" pages.
 *
 * The job page polls the job's small JSON status view and updates the progress bar and counters; when the job
 * ends it reloads once, so the results, the labels and the pickup form show. Without JavaScript "Odśwież"
 * reloads by hand. On the shipment form, choosing a package template fills in its dimensions and weight.
 *
 * No inline scripts (CSP): the status URL comes from a data- attribute, the templates from a json_script block;
 * values are written with textContent only.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function setText(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = String(value);
  }

  function poll(box) {
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("swa-progress");
    var failures = 0;

    function apply(data) {
      if (bar) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
      }
      setText("swa-progress-text", data.percent + "%");
      setText("swa-status", data.status_label);
      setText("swa-done", data.done);
      setText("swa-total", data.total);
      setText("swa-succeeded", data.succeeded);
      setText("swa-failed", data.failed);
    }

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.statusText);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          apply(data);
          if (data.finished) {
            window.location.reload();
            return;
          }
          window.setTimeout(tick, POLL_MS);
        })
        .catch(function () {
          failures += 1;
          if (failures < 30) window.setTimeout(tick, POLL_MS * Math.min(failures + 1, 5));
        });
    }

    tick();
  }

  function packageTemplates(form) {
    var data = document.getElementById("swa-package-templates");
    var select = form.querySelector("select[name=template]");
    if (!data || !select) return;
    var templates = JSON.parse(data.textContent);
    var names = ["length_cm", "width_cm", "height_cm", "weight_kg"];
    select.addEventListener("change", function () {
      var values = templates[select.value];
      if (!values) return;
      names.forEach(function (name, i) {
        var input = form.querySelector("input[name=" + name + "]");
        if (input) input.value = values[i];
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("swa-job");
    if (box && box.getAttribute("data-running") === "1" && window.fetch) {
      var reload = document.getElementById("swa-reload");
      if (reload) reload.hidden = true;
      poll(box);
    }
    var form = document.getElementById("allegro-swa-form");
    if (form) packageTemplates(form);
  });
})();
