/* Back-office progressive enhancement. Every page works without it:
   - the reject form shows the author's letter (rendered by the server) as reasons are ticked;
   - "insert template" puts the template into the answer without reloading (the link reloads otherwise);
   - after a refused form, the first field in error gets the focus. */
(function () {
  "use strict";

  // The letter itself is rendered by the server (templates/backoffice/review.html) with every reason's
  // text; this only shows the ticked reasons and copies the typed number and comment into it.
  function rejectPreview() {
    var form = document.getElementById("reject-form");
    if (!form) return;
    var body = form.querySelector("[data-preview-body]");
    var letter = body.querySelector("[data-preview-letter]");
    var empty = body.querySelector("[data-preview-empty]");
    var boxes = form.querySelectorAll("input[name=reasons]");
    var items = letter.querySelectorAll("li");
    function render() {
      var any = false;
      boxes.forEach(function (box, i) { items[i].hidden = !box.checked; any = any || box.checked; });
      letter.hidden = !any;
      empty.hidden = any;
      body.querySelectorAll("[data-preview-field]").forEach(function (p) {
        var value = form.querySelector("[name=" + p.getAttribute("data-preview-field") + "]").value.trim();
        p.hidden = !value;
        p.textContent = (p.getAttribute("data-before") || "") + value + (p.getAttribute("data-after") || "");
      });
    }
    form.addEventListener("change", render);
    form.addEventListener("input", render);
    // A page restored from the history keeps the ticks but not the server's letter for them.
    if (form.querySelector("input[name=reasons]:checked")) render();
  }

  function answerForm() {
    var form = document.getElementById("answer-form");
    if (!form) return;
    var text = form.querySelector("[name=text]");
    document.querySelectorAll("a.insert-template").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var insert = link.getAttribute("data-template-text");
        var start = text.selectionStart || text.value.length;
        text.value = text.value.slice(0, start) + insert + text.value.slice(text.selectionEnd || start);
        var kind = form.querySelector("[name=kind][value=" + link.getAttribute("data-template-kind") + "]");
        if (kind && !form.querySelector("[name=kind]:checked")) kind.checked = true;
        text.focus();
      });
    });
  }

  // After a refused form the page reloads at the top; on a phone the error may be far below.
  function focusFirstError() {
    var bad = document.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () { rejectPreview(); answerForm(); focusFirstError(); });
})();
