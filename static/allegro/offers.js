/* Allegro offers: the listing form's title counter (Allegro's 75 characters), auction-only fields shown
 * for the auction format, and image order numbers filled in as images are ticked. No inline scripts (CSP). */
(function () {
  "use strict";

  function initCounter() {
    var counter = document.getElementById("ao-title-counter");
    if (!counter) return;
    var input = document.getElementById(counter.dataset.for);
    if (!input) return;
    var max = parseInt(input.dataset.max || "75", 10);
    function update() {
      var length = Array.from(input.value).length;
      counter.textContent = length + " / " + max;
      counter.classList.toggle("ao-counter-over", length > max);
    }
    input.addEventListener("input", update);
    update();
  }

  function initFormat() {
    var root = document.querySelector(".ao-listing");
    var select = document.getElementById("id_format");
    if (!root || !select) return;
    function update() {
      root.classList.toggle("ao-buy-now", select.value !== "AUCTION");
    }
    select.addEventListener("change", update);
    update();
  }

  function initImages() {
    var grid = document.querySelector(".ao-image-grid");
    if (!grid) return;
    grid.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox") return;
      var order = box.parentNode.querySelector(".ao-order");
      if (!order) return;
      if (box.checked && !order.value) {
        var used = Array.from(grid.querySelectorAll(".ao-order")).map(function (o) {
          return parseInt(o.value || "0", 10);
        });
        order.value = Math.max.apply(null, used.concat([0])) + 1;
      } else if (!box.checked) {
        order.value = "";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCounter();
    initFormat();
    initImages();
  });
})();
