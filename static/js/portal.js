// On wide screens the list filters start open; on a phone they stay folded under «Фильтры и порядок».
(function () {
  "use strict";
  if (window.matchMedia && window.matchMedia("(min-width: 40rem)").matches) {
    document.querySelectorAll("details.filters-more").forEach(function (d) { d.open = true; });
  }
})();
// «Рядом со мной» (issue 15): the list sorted by distance from the browser's location.
(function () {
  "use strict";
  var button = document.getElementById("near-me");
  var status = document.getElementById("near-me-status");
  if (!button || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "Определяем местоположение…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      var params = new URLSearchParams(window.location.search);
      params.set("sort", "near");
      params.set("lat", pos.coords.latitude.toFixed(6));
      params.set("lon", pos.coords.longitude.toFixed(6));
      params.delete("page");
      window.location.search = params.toString();
    }, function () {
      status.textContent = "Не удалось определить местоположение.";
    }, { timeout: 10000 });
  });
})();
