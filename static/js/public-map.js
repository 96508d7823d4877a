// The public map (/map/, issue 15): markers from the GeoJSON feed of the visible box, clustered, with the
// state as colour and letter (the legend says which), each linking to its message page.
(function () {
  "use strict";
  var element = document.getElementById("public-map");
  if (!element || !window.L) { return; }
  var status = document.getElementById("map-status");
  var map = ZgMap.create(element);
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45 });
  map.addLayer(cluster);
  var filters = new URLSearchParams(element.dataset.query || "");
  var ticket = 0;

  function popup(p) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = "Сообщение № " + p.number;
    var strong = document.createElement("strong");
    strong.appendChild(link);
    var state = document.createElement("p");
    state.textContent = p.state_label + " · " + p.category;
    var where = document.createElement("p");
    where.textContent = p.address + " · " + p.date;
    box.append(strong, state, where);
    return box;
  }
  function load() {
    var params = new URLSearchParams(filters);
    params.set("bbox", map.getBounds().toBBoxString());
    var mine = ++ticket;
    status.textContent = "Загружаем сообщения…";
    fetch(element.dataset.geojson + "?" + params, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (mine !== ticket) { return; }
        cluster.clearLayers();
        var markers = data.features.map(function (f) {
          var p = f.properties;
          var marker = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
            icon: ZgMap.stateIcon(p.state),
            title: "№ " + p.number + ": " + p.state_label,
            alt: "№ " + p.number + ": " + p.state_label,
            keyboard: true
          });
          marker.bindPopup(popup(p));
          marker.zgNumber = p.number;
          return marker;
        });
        cluster.addLayers(markers);
        var text = "На карте сообщений: " + markers.length + ".";
        if (data.truncated) { text += " Показаны самые новые — приблизьте карту, чтобы увидеть остальные."; }
        status.textContent = text;
        element.dataset.loaded = String(markers.length);
      })
      .catch(function () { status.textContent = "Не удалось загрузить сообщения. Обновите страницу."; });
  }
  map.on("moveend", load);
  load();
})();
