// Switchboard console: progressive enhancement only. Every page works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // A page's flash message is in the live region when the page loads; screen readers
    // announce a live region's changes, not its first content, so put the text back in.
    var flash = document.getElementById("flash");
    if (flash && flash.textContent.trim() !== "") {
      var text = flash.textContent;
      flash.textContent = "";
      window.setTimeout(function () { flash.textContent = text; }, 150);
    }
    // After a failed submit, take the keyboard to the error summary.
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
    // Copy buttons next to values shown once (API keys, webhook secrets).
    document.querySelectorAll("button.copy[data-copy]").forEach(function (btn) {
      var target = document.getElementById(btn.getAttribute("data-copy"));
      if (!target || !navigator.clipboard) {
        return;
      }
      btn.hidden = false;
      btn.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          btn.textContent = btn.getAttribute("data-done") || btn.textContent;
        });
      });
    });
  });
})();
