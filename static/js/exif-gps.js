// Reads the GPS point from a JPEG's EXIF block in the browser (issue 15: «фото сделано здесь»).
// Only what is needed: the APP1 "Exif" segment, IFD0, the GPS IFD and its four tags. The server reads the
// same point before it strips the metadata (messages/photos.py); nothing here is sent anywhere.
(function () {
  "use strict";
  function parse(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) { return null; }
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
      var length = view.getUint16(offset + 2);
      if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) { // "Exif"
        return readTiff(view, offset + 10);
      }
      offset += 2 + length;
    }
    return null;
  }
  function readTiff(view, start) {
    var little = view.getUint16(start) === 0x4949;
    function u16(at) { return view.getUint16(start + at, little); }
    function u32(at) { return view.getUint32(start + at, little); }
    function entries(ifd) {
      var out = {};
      var count = u16(ifd);
      for (var i = 0; i < count && i < 200; i++) {
        var at = ifd + 2 + i * 12;
        out[u16(at)] = { type: u16(at + 2), count: u32(at + 4), value: at + 8 };
      }
      return out;
    }
    function rationals(entry) {
      if (!entry || entry.type !== 5 || entry.count !== 3) { return null; }
      var at = u32(entry.value);
      var parts = [];
      for (var i = 0; i < 3; i++) {
        var den = u32(at + i * 8 + 4);
        if (!den) { return null; }
        parts.push(u32(at + i * 8) / den);
      }
      return parts[0] + parts[1] / 60 + parts[2] / 3600;
    }
    function ascii(entry) {
      return entry ? String.fromCharCode(view.getUint8(start + entry.value)) : "";
    }
    try {
      var ifd0 = entries(u32(4));
      if (!ifd0[0x8825]) { return null; }
      var gps = entries(u32(ifd0[0x8825].value));
      var lat = rationals(gps[2]);
      var lon = rationals(gps[4]);
      if (lat === null || lon === null) { return null; }
      if (ascii(gps[1]) === "S") { lat = -lat; }
      if (ascii(gps[3]) === "W") { lon = -lon; }
      return { lat: lat, lon: lon };
    } catch (e) {
      return null; // a truncated or odd block: no offer, the photo is still sent
    }
  }
  function fromFile(file, callback) {
    if (!file || !/jpe?g$/i.test(file.type || file.name)) { callback(null); return; }
    var reader = new FileReader();
    reader.onload = function () { callback(parse(reader.result)); };
    reader.onerror = function () { callback(null); };
    reader.readAsArrayBuffer(file.slice(0, 256 * 1024));
  }
  window.ZgExifGps = { parse: parse, fromFile: fromFile };
})();
