// The place on the submit and correction forms (issue 15). Progressive: without this script the form
// has the address and two coordinate fields, as before.
// - a click on the map drops the pin, the pin can be dragged; the coordinate fields follow the pin and
//   typed coordinates move it. No geocoder is reachable, so the address is never guessed: the person
//   describes the place in words (§4.1), and a hint says so when the pin is set and the address is empty;
// - «Моё местоположение» asks the browser (navigator.geolocation);
// - a first photo with GPS in its EXIF offers its point;
// - with a category and a point, the category's public messages nearby are listed with «Поддержать».
(function () {
  "use strict";
  var element = document.getElementById("place-map");
  if (!element || !window.L) { return; }
  var form = element.closest("form");
  var latInput = document.getElementById("id_latitude");
  var lonInput = document.getElementById("id_longitude");
  var status = document.getElementById("place-status");
  var addressInput = document.getElementById("id_address");
  element.hidden = false;
  document.getElementById("place-map-help").hidden = false;
  var map = ZgMap.create(element);
  var bounds = map.zgConfig.bounds;
  var pin = null;

  function say(text) { status.textContent = text; }
  function setPin(lat, lon, why) {
    var point = L.latLng(lat, lon);
    if (!bounds.contains(point)) {
      say("Точка за пределами города Заречного. Поставьте метку в границах города.");
      return false;
    }
    if (!pin) {
      pin = L.marker(point, { draggable: true, keyboard: true, title: "Метка места проблемы", alt: "Метка места проблемы" }).addTo(map);
      pin.on("dragend", function () {
        var p = pin.getLatLng();
        setPin(p.lat, p.lng, "Метка перемещена.");
      });
    } else {
      pin.setLatLng(point);
    }
    latInput.value = point.lat.toFixed(6);
    lonInput.value = point.lng.toFixed(6);
    var hint = why || "Метка поставлена.";
    if (addressInput && !addressInput.value.trim()) {
      hint += " Опишите место словами в поле «Место» — адрес обязателен.";
    }
    say(hint);
    loadNearby();
    return true;
  }

  map.on("click", function (event) {
    setPin(event.latlng.lat, event.latlng.lng, "Метка поставлена.");
  });
  function fromFields() {
    var lat = parseFloat(latInput.value.replace(",", "."));
    var lon = parseFloat(lonInput.value.replace(",", "."));
    if (isFinite(lat) && isFinite(lon)) {
      if (pin && latInput.value === pin.getLatLng().lat.toFixed(6) &&
          lonInput.value === pin.getLatLng().lng.toFixed(6)) {
        return; // the same point (a blur after typing): the list nearby stays as it is
      }
      if (setPin(lat, lon, "Метка поставлена по координатам.")) { map.panTo([lat, lon]); }
    }
  }
  latInput.addEventListener("change", fromFields);
  lonInput.addEventListener("change", fromFields);
  if (latInput.value && lonInput.value) {
    fromFields();
    if (pin) { map.setView(pin.getLatLng(), 16); }
  }

  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      say("Определяем местоположение…");
      navigator.geolocation.getCurrentPosition(function (pos) {
        if (setPin(pos.coords.latitude, pos.coords.longitude, "Метка поставлена по вашему местоположению.")) {
          map.setView(pin.getLatLng(), 17);
        }
      }, function () {
        say("Не удалось определить местоположение. Поставьте метку на карте или опишите место словами.");
      }, { timeout: 10000 });
    });
  }

  // «Фото сделано здесь — поставить метку?»
  var offer = document.getElementById("photo-point");
  var offerText = document.getElementById("photo-point-text");
  var photoInput = form.querySelector('input[type="file"][name="photos"]');
  function offerPoint(point) {
    if (!point || !bounds.contains([point.lat, point.lon])) { offer.hidden = true; return; }
    offer.dataset.lat = point.lat.toFixed(6);
    offer.dataset.lon = point.lon.toFixed(6);
    offerText.textContent = "Фото сделано здесь (" + offer.dataset.lat + ", " + offer.dataset.lon + ") — поставить метку?";
    offer.hidden = false;
    document.getElementById("photo-point-use").hidden = false;
  }
  if (offer) {
    if (!offer.hidden) { document.getElementById("photo-point-use").hidden = false; }
    document.getElementById("photo-point-use").addEventListener("click", function () {
      if (setPin(Number(offer.dataset.lat), Number(offer.dataset.lon), "Метка поставлена по данным фотографии.")) {
        map.setView(pin.getLatLng(), 17);
        offer.hidden = true;
      }
    });
    if (photoInput && window.ZgExifGps) {
      photoInput.addEventListener("change", function () {
        ZgExifGps.fromFile((photoInput.files || [])[0], offerPoint);
      });
    }
  }

  // Similar messages nearby (the moderators' rule: same category, about 200 m, 90 days).
  var nearby = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  var categoryField = form.elements.category;
  var pending = 0;
  function loadNearby() {
    if (!nearby || !pin || !categoryField || !categoryField.value) { return; }
    var p = pin.getLatLng();
    var url = nearby.dataset.url + "?" + new URLSearchParams({
      category: categoryField.value, lat: p.lat.toFixed(6), lon: p.lng.toFixed(6)
    });
    var ticket = ++pending;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (ticket === pending) { showNearby(data); } })
      .catch(function () { nearby.hidden = true; });
  }
  if (categoryField) { categoryField.addEventListener("change", loadNearby); }
  function showNearby(data) {
    nearbyList.textContent = "";
    if (!data || !data.messages.length) { nearby.hidden = true; return; }
    data.messages.forEach(function (m) {
      var li = document.createElement("li");
      li.className = "nearby-item";
      var link = document.createElement("a");
      link.href = m.url;
      link.textContent = "№ " + m.number;
      var badge = document.createElement("span");
      badge.className = "badge state-" + m.state;
      badge.textContent = m.state_label;
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " " + m.address + " · в " + m.distance_m + " м · " + m.date + " · поддержали: " + m.support_count;
      var head = document.createElement("p");
      head.append(link, " ", badge, meta);
      li.appendChild(head);
      if (m.text) {
        var text = document.createElement("p");
        text.className = "nearby-text";
        text.textContent = m.text;
        li.appendChild(text);
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-secondary button-small";
      button.textContent = "Поддержать";
      button.setAttribute("aria-label", "Поддержать сообщение № " + m.number);
      var result = document.createElement("span");
      result.className = "nearby-result";
      result.setAttribute("role", "status");
      button.addEventListener("click", function () {
        button.disabled = true;
        fetch(m.support_url, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": ZgMap.csrfToken() }
        }).then(function (r) { return r.json(); }).then(function (answer) {
          result.textContent = " " + answer.text;
          if (!answer.ok) { button.disabled = false; } else { button.textContent = "Поддержано"; }
        }).catch(function () {
          result.textContent = " Не удалось отправить. Откройте сообщение и поддержите его там.";
          button.disabled = false;
        });
      });
      var actions = document.createElement("p");
      actions.append(button, result);
      li.appendChild(actions);
      nearbyList.appendChild(li);
    });
    nearby.hidden = false;
  }
})();
