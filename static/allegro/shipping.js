/* Koszty dostawy: searchable, grouped delivery-method selects (select2 shipped with the admin).
   Mapowanie form dostawy: the filter box above the table. No inline scripts (CSP). */
(function () {
  "use strict";

  function enhanceSelects(root) {
    var $ = window.django && window.django.jQuery;
    if (!$ || !$.fn.select2) {
      return;
    }
    $(root).find("select.allegro-method-select").each(function () {
      if (this.closest(".empty-form") || this.dataset.select2Ready) {
        return;
      }
      this.dataset.select2Ready = "1";
      $(this).select2({ width: "style", placeholder: this.dataset.placeholder || "", allowClear: false });
    });
  }

  function normalise(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ł/g, "l");
  }

  function setupFilter(input) {
    var rows = document.querySelectorAll(input.dataset.filterRows);
    input.addEventListener("input", function () {
      var words = normalise(input.value).split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var hay = normalise(row.dataset.search || row.textContent);
        row.hidden = !words.every(function (w) { return hay.indexOf(w) !== -1; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceSelects(document);
    document.querySelectorAll("input[data-filter-rows]").forEach(setupFilter);
  });
  document.addEventListener("formset:added", function (event) {
    enhanceSelects(event.target);
  });
})();
