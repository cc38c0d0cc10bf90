// Small progressive enhancements for the panel; every page also works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var button = select.form && select.form.querySelector(".allegro-switcher-go");
      if (button) { button.hidden = true; }
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        if (!source) { return; }
        var text = source.value || source.textContent;
        var done = function () { button.textContent = button.getAttribute("data-copied-label") || "OK"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else {
          source.select && source.select();
          document.execCommand("copy");
          done();
        }
      });
    });
  });
})();
