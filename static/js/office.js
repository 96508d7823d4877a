/* Back-office progressive enhancement. Every page works without it:
   - the reject form shows the author's letter as reasons are ticked (the server has a preview button too);
   - "insert template" puts the template into the answer without reloading (the link reloads otherwise);
   - after a refused form, the first field in error gets the focus. */
(function () {
  "use strict";

  function rejectPreview() {
    var form = document.getElementById("reject-form");
    if (!form) return;
    var body = form.querySelector("[data-preview-body]");
    var number = document.querySelector("h1").textContent.replace("Сообщение", "").trim();
    function render() {
      var items = [];
      form.querySelectorAll("input[name=reasons]:checked").forEach(function (box) {
        var text = document.getElementById(box.id + "_text");
        if (text) items.push(text.textContent.replace(/^Автор прочитает: «|»$/g, ""));
      });
      body.textContent = "";
      if (!items.length) {
        var hint = document.createElement("p");
        hint.className = "muted";
        hint.textContent = "Выберите причины, чтобы увидеть текст письма.";
        body.appendChild(hint);
        return;
      }
      var head = document.createElement("p");
      head.textContent = "В регистрации сообщения " + number + " отказано.";
      body.appendChild(head);
      var list = document.createElement("ul");
      items.forEach(function (t) { var li = document.createElement("li"); li.textContent = t; list.appendChild(li); });
      body.appendChild(list);
      var dup = form.querySelector("[name=duplicate_of]").value.trim();
      if (dup) { var d = document.createElement("p"); d.textContent = "Исходное сообщение: № " + dup + "."; body.appendChild(d); }
      var comment = form.querySelector("[name=comment]").value.trim();
      if (comment) { var c = document.createElement("p"); c.textContent = "Комментарий модератора: " + comment; body.appendChild(c); }
    }
    form.addEventListener("change", render);
    form.addEventListener("input", render);
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
