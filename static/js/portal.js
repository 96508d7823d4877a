// On wide screens the list filters start open; on a phone they stay folded under «Фильтры и порядок».
(function () {
  "use strict";
  if (window.matchMedia && window.matchMedia("(min-width: 40rem)").matches) {
    document.querySelectorAll("details.filters-more").forEach(function (d) { d.open = true; });
  }
})();
