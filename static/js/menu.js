// Header menu on phones, the portal's and the back-office's. Without this file a checkbox (its label drawn as
// the button) folds the menus through CSS; here the pair becomes one real <button aria-expanded aria-controls>, so screen readers hear "collapsed/expanded".
(function () {
  "use strict";
  var header = document.querySelector("[data-menu]");
  if (!header) return;
  var box = header.querySelector("[data-menu-box]");
  var label = header.querySelector("[data-menu-label]");
  if (!box || !label) return;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "menu-toggle";
  button.setAttribute("aria-controls", box.getAttribute("aria-controls"));
  button.setAttribute("aria-expanded", box.checked ? "true" : "false");
  button.innerHTML = label.innerHTML;
  if (box.checked) header.classList.add("menu-open");
  label.replaceWith(button);
  box.remove();
  button.addEventListener("click", function () {
    var open = !header.classList.contains("menu-open");
    header.classList.toggle("menu-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("menu-open")) {
      header.classList.remove("menu-open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
