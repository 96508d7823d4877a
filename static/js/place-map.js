// The small map of a message page: its point, nothing to click but the zoom.
(function () {
  "use strict";
  var element = document.getElementById("message-map");
  if (!element || !window.L) { return; }
  element.hidden = false;
  var map = ZgMap.create(element, { scrollWheelZoom: false });
  var point = [Number(element.dataset.lat), Number(element.dataset.lon)];
  L.marker(point, { icon: ZgMap.stateIcon(element.dataset.state), keyboard: false, alt: "Место проблемы" }).addTo(map);
  map.setView(point, 16);
})();
