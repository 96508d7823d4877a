/* Accessibility repairs of markup the Django admin builds itself (issue 18.1; axe-core, WCAG 2.1 AA):
   - the inline tables' fields have their column header as their only label: give each its name;
   - the split date/time widgets have no label of their own: name them after the field and the part;
   - SelectFilter2's magnifier icon is a <span aria-label> without a role: make it an image. */
(function () {
  "use strict";

  function tabularInlines() {
    document.querySelectorAll(".tabular table").forEach(function (table) {
      var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.replace(/\s+/g, " ").trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var cells = row.querySelectorAll("td");
        row.querySelectorAll("input, select, textarea").forEach(function (field) {
          if (field.type === "hidden" || field.labels && field.labels.length || field.getAttribute("aria-label")) return;
          var cell = field.closest("td");
          var index = Array.prototype.indexOf.call(cells, cell);
          // The first cell of a row is the original object or is empty; headers start at the second column.
          var name = cell && cell.className.match(/field-(\w+)/) ? headerFor(table, cell) : null;
          if (!name && cell && cell.classList.contains("delete")) name = "Удалить";
          if (!name && index >= 0) name = headers[index] || null;
          if (name) field.setAttribute("aria-label", name);
        });
      });
    });
  }

  function headerFor(table, cell) {
    var column = Array.prototype.indexOf.call(cell.parentNode.children, cell);
    var th = table.querySelectorAll("thead th")[column];
    return th ? th.textContent.replace(/\s+/g, " ").trim() : null;
  }

  function splitDateTimes() {
    document.querySelectorAll("p.datetime").forEach(function (box) {
      var row = box.closest(".form-row, .fieldBox, div");
      var label = row && row.querySelector("label");
      var base = label ? label.textContent.replace(/[:\s]+$/, "").trim() : "";
      var parts = box.querySelectorAll("input");
      if (parts[0] && !parts[0].getAttribute("aria-label")) parts[0].setAttribute("aria-label", (base + ": дата").trim());
      if (parts[1] && !parts[1].getAttribute("aria-label")) parts[1].setAttribute("aria-label", (base + ": время").trim());
    });
  }

  function icons(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("span[aria-label]:not([role])").forEach(function (span) {
      span.setAttribute("role", "img");
    });
  }

  function repair() {
    tabularInlines();
    splitDateTimes();
    icons(document);
  }

  // SelectFilter2 and the inlines build their markup on "load"; new inline rows come later.
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType === 1) icons(node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", repair);
  window.addEventListener("load", function () { window.setTimeout(repair, 0); });
  document.addEventListener("formset:added", function () { window.setTimeout(repair, 0); });
}());
