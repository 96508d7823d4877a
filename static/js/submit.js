// Submission form helpers (progressive: the form works without them).
// - a preview of the chosen photos, with a warning above 4 (§4.6);
// (the place, the map and «Моё местоположение» are in place-picker.js)
(function () {
  "use strict";
  var MAX = 4;
  var input = document.querySelector('input[type="file"][name="photos"]');
  var preview = document.getElementById("photo-preview");
  if (input && preview) {
    input.addEventListener("change", function () {
      preview.textContent = "";
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (file, index) {
        var item = document.createElement("li");
        if (/^image\/(jpeg|png)$/.test(file.type)) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = "Предпросмотр: " + file.name;
          img.onload = function () { URL.revokeObjectURL(img.src); };
          item.appendChild(img);
        }
        var caption = document.createElement("span");
        caption.textContent = (index + 1) + ". " + file.name;
        item.appendChild(caption);
        preview.appendChild(item);
      });
      if (files.length > MAX) {
        input.setCustomValidity("Можно приложить не более " + MAX + " фотографий.");
        input.reportValidity();
      } else {
        input.setCustomValidity("");
      }
    });
  }
})();
