// Shared map helpers (issue 15). Settings come from data- attributes set by the server (no inline script):
// data-tiles, data-attribution, data-bounds ("south,west,north,east"), data-center ("lat,lon"), data-zoom.
(function () {
  "use strict";
  function numbers(text) {
    return String(text || "").split(",").map(Number);
  }
  function config(element) {
    var b = numbers(element.dataset.bounds);
    var c = numbers(element.dataset.center);
    return {
      tiles: element.dataset.tiles,
      attribution: element.dataset.attribution,
      bounds: L.latLngBounds([b[0], b[1]], [b[2], b[3]]),
      center: L.latLng(c[0], c[1]),
      zoom: Number(element.dataset.zoom) || 13
    };
  }
  function create(element, options) {
    var cfg = config(element);
    var map = L.map(element, Object.assign({
      maxBounds: cfg.bounds.pad(0.5),
      minZoom: 11,
      keyboard: true
    }, options || {}));
    L.tileLayer(cfg.tiles, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
    map.attributionControl.setPrefix(false);
    map.setView(cfg.center, cfg.zoom);
    map.zgConfig = cfg;
    return map;
  }
  var STATE_LETTERS = { registered: "Р", answered: "О", rework: "Д", closed: "З" };
  function stateIcon(state, label) {
    return L.divIcon({
      className: "map-pin map-pin-" + state,
      html: '<span aria-hidden="true">' + (STATE_LETTERS[state] || "•") + "</span>",
      iconSize: [28, 28],
      iconAnchor: [14, 14],
      popupAnchor: [0, -12]
    });
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }
  window.ZgMap = { config: config, create: create, stateIcon: stateIcon, csrfToken: csrfToken };
})();
