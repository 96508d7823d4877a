// Text boxes with a limit (data-counter): a visible count of what is left. Screen readers hear it only when
// a threshold is crossed (500 and 100 left, the limit reached, over the limit), not at every key.
(function () {
  "use strict";
  function plural(n, one, few, many) {
    var m10 = n % 10, m100 = n % 100;
    if (m10 === 1 && m100 !== 11) return one;
    if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
    return many;
  }
  function chars(n) { return n + " " + plural(n, "знак", "знака", "знаков"); }
  document.querySelectorAll("textarea[data-counter]").forEach(function (box) {
    var limit = parseInt(box.getAttribute("data-counter"), 10);
    var shown = document.querySelector('[data-counter-for="' + box.id + '"]');
    var live = document.querySelector('[data-counter-live="' + box.id + '"]');
    if (!shown || !limit) return;
    var lastLevel = null;
    function level(left) {
      if (left < 0) return "over";
      if (left === 0) return "full";
      if (left <= 100) return "100";
      if (left <= 500) return "500";
      return "ok";
    }
    function update(announce) {
      var left = limit - box.value.length;
      var text = left >= 0
        ? "Осталось " + chars(left) + " из " + limit + "."
        : "Превышено на " + chars(-left) + ": сократите текст до " + limit + " знаков.";
      shown.textContent = text;
      shown.classList.toggle("char-counter-over", left < 0);
      var now = level(left);
      if (announce && live && now !== lastLevel && now !== "ok") live.textContent = text;
      lastLevel = now;
    }
    box.addEventListener("input", function () { update(true); });
    update(false);
  });
})();

// After a refused form the page comes back with the error summary: move the focus (and the view) to it,
// wherever on the page the form is (the rating form is far below the message).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) return;
  summary.focus();
  // Scrolling to the form's #fragment after the load takes the focus back to the body: focus again then.
  window.addEventListener("load", function () {
    if (document.activeElement === document.body) summary.focus();
  });
})();
