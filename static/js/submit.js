// Submission form helpers (progressive: the form works without them).
// - a preview of the chosen photos; more than 4 or a file not JPEG/PNG/TIFF is refused before the upload (§4.5, §4.6);
// (the place, the map and «Моё местоположение» are in place-picker.js)
(function () {
  "use strict";
  var MAX = 4;
  var TYPES = /^image\/(jpeg|png|tiff)$/;
  var EXTENSIONS = /\.(jpe?g|png|tiff?)$/i;
  var input = document.querySelector('input[type="file"][name="photos"]');
  var preview = document.getElementById("photo-preview");
  // §4.6: at most MAX photos and only JPEG, PNG or TIFF (§4.5). Checked here before the upload, in Russian
  // next to the field; the server checks the same again (messages.photos).
  function keptPhotos() {
    var removable = document.querySelectorAll('input[name="remove_photos"]');
    var removed = document.querySelectorAll('input[name="remove_photos"]:checked');
    return removable.length - removed.length;
  }
  function problem(files) {
    var wrong = files.filter(function (f) { return !(TYPES.test(f.type) || (!f.type && EXTENSIONS.test(f.name))); });
    if (wrong.length) {
      return "Файл «" + wrong[0].name + "» не подходит: можно приложить только фотографии JPEG, PNG или TIFF.";
    }
    var kept = keptPhotos();
    if (kept + files.length > MAX) {
      return kept
        ? "Можно приложить не более " + MAX + " фотографий: оставлено " + kept + ", выбрано ещё " + files.length + ". Выберите меньше или уберите старые."
        : "Можно приложить не более " + MAX + " фотографий, выбрано " + files.length + ". Выберите заново не больше " + MAX + ".";
    }
    return "";
  }
  if (input) {
    var note = document.createElement("p");
    note.className = "client-error";
    note.id = input.id + "_client_error";
    note.setAttribute("role", "alert");
    note.hidden = true;
    input.insertAdjacentElement("afterend", note);
    var described = input.getAttribute("aria-describedby");
    var check = function () {
      var text = problem(Array.prototype.slice.call(input.files || []));
      note.textContent = text;
      note.hidden = !text;
      if (text) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", ((described || "") + " " + note.id).trim());
      } else {
        if (!input.closest(".field-error")) input.removeAttribute("aria-invalid");
        if (described) { input.setAttribute("aria-describedby", described); } else { input.removeAttribute("aria-describedby"); }
      }
      return text;
    };
    input.addEventListener("change", check);
    document.querySelectorAll('input[name="remove_photos"]').forEach(function (box) { box.addEventListener("change", check); });
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        if (check()) { event.preventDefault(); input.focus(); }
      });
    }
  }
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
    });
  }
})();
