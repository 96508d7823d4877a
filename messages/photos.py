"""Validation and re-encoding of photos and scans attached to messages and answers.

Regulation: §4.5 (JPEG, PNG or TIFF only), §4.6 and §6.3 (at most four files).

Every upload is identified by Pillow from its bytes (never by its name or the browser's content
type), checked against ``settings.PHOTO_MAX_BYTES`` and ``settings.PHOTO_MAX_PIXELS``, fully decoded
and re-encoded from pixels into two fresh JPEGs: a web copy (long side <= 2048 px) and a thumbnail
(long side <= 400 px). The re-encoded copies carry no metadata at all: no EXIF (so no GPS), no XMP,
no ICC profile (colours are converted to sRGB instead), no comments, no PNG text chunks. The
untouched upload is returned as well, for staff only, when ``settings.PHOTO_KEEP_ORIGINALS`` is on.

This module does not touch storage: the model layer saves ``ProcessedImage`` under the names given
by its ``web_name`` / ``thumbnail_name`` / ``original_storage_name`` properties.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import struct
import sys
import unicodedata
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageCms, UnidentifiedImageError

MAX_FILES = 4  # §4.6 / §6.3
ALLOWED_FORMATS = {"JPEG", "PNG", "TIFF"}  # §4.5 (MPO from phones is JPEG too: accept and treat as JPEG)

WEB_MAX_SIDE = 2048
WEB_QUALITY = 85
THUMBNAIL_MAX_SIDE = 400
THUMBNAIL_QUALITY = 80

# Pillow format names we let Pillow's parsers try at all; anything else is only identified for a
# helpful error message and never decoded.
_PILLOW_FORMATS = ("JPEG", "PNG", "TIFF")  # the JPEG opener also returns MPO images
_FORMAT_ALIASES = {"MPO": "JPEG"}
_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif"}
# Magic numbers of the allowed formats: a file that starts like one of them but cannot be opened
# is reported as damaged rather than as "not a photo".
_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"II+\x00",  # BigTIFF, little-endian
    b"MM\x00+",  # BigTIFF, big-endian
)
# ISO BMFF brands of phone formats Pillow cannot identify without plugins.
_HEIF_BRANDS = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}
# What Pillow's parsers and decoders raise on damaged or hostile input.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)
_ORIENTATION_TAG = 0x0112
# The same mapping as PIL.ImageOps.exif_transpose.
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# JPEG markers (ITU T.81, B.1.1.3) that carry a frame header: SOF0-SOF15 except DHT (C4), JPG (C8)
# and DAC (CC). Progressive ones make libjpeg keep every DCT coefficient of the full-size image.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_PROGRESSIVE_SOF = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field
_JPEG_SOS, _JPEG_EOI = 0xDA, 0xD9
# Real files carry a few dozen segments before the scan (APPn, DQT, DHT, SOF); a limit keeps the
# walk below a millisecond whatever the file holds.
_JPEG_MAX_SEGMENTS = 500
_FILL_BYTES = re.compile(rb"\xff+")
_UNNAMED = "без имени"
_MAX_DISPLAY_NAME = 80

_MESSAGES = {
    "too_large": "Файл «%(name)s» больше %(limit)s.",
    "not_image": "Файл «%(name)s» не является фотографией в формате JPEG, PNG или TIFF.",
    "bad_format": (
        "Файл «%(name)s» — изображение в формате %(format)s, а принимаются только фотографии "
        "в формате JPEG, PNG или TIFF."
    ),
    "bad_format_unknown": (
        "Файл «%(name)s» — изображение в формате, который не принимается: принимаются только "
        "фотографии в формате JPEG, PNG или TIFF."
    ),
    "bad_colour_model": (
        "Файл «%(name)s» использует неподдерживаемую цветовую модель (%(mode)s); "
        "сохраните его как обычную фотографию в формате JPEG или PNG."
    ),
    "too_many_pixels": "Файл «%(name)s» слишком большой по размеру изображения (не более %(limit)s).",
    "broken": "Файл «%(name)s» повреждён или не дочитан.",
}


@dataclass(frozen=True)
class ProcessedImage:
    original_name: str  # the client's file name, for error messages and staff display only
    source_format: str  # "JPEG" | "PNG" | "TIFF"
    width: int  # of the web copy, after orientation
    height: int
    web: bytes  # JPEG
    thumbnail: bytes  # JPEG
    original: bytes | None  # the untouched upload, only if settings.PHOTO_KEEP_ORIGINALS
    original_extension: str  # ".jpg" | ".png" | ".tif"
    token: str  # uuid4 hex; the storage names are below
    # Where the photo was taken (EXIF GPS, degrees), read from the upload before the copies were made
    # without metadata: the submit form offers it as the message's point (issue 15). Never stored.
    gps_point: tuple[float, float] | None = None

    @property
    def web_name(self) -> str:
        return f"{self.token}.jpg"

    @property
    def thumbnail_name(self) -> str:
        return f"{self.token}_thumb.jpg"

    @property
    def original_storage_name(self) -> str:
        return f"{self.token}{self.original_extension}"


def process_image(upload: Any, *, name: str | None = None) -> ProcessedImage:
    """Validate one upload and re-encode it into a web copy and a thumbnail.

    upload: a Django UploadedFile / File / bytes-like with .read(). Raises django.core.exceptions.ValidationError
    with a Russian message that names the file, code in {"too_large","not_image","bad_format","too_many_pixels","broken"}.
    """
    original_name = _client_name(upload, name)
    shown = _display_name(original_name)
    data = _read_limited(upload, settings.PHOTO_MAX_BYTES, shown)
    if not data:
        raise _error("not_image", shown)

    max_pixels = _max_pixels()
    if data.startswith(b"\xff\xd8"):
        # Pillow's own JPEG parser hunts for markers byte by byte in Python: seconds on 10 MB of
        # junk. The structure is checked first, in a walk over segment lengths.
        _check_jpeg_structure(data, shown)
    source_format = _check_header(data, shown, max_pixels)
    gps_point = read_gps_point(data)
    web_image = _decode(data, source_format, shown)

    web = _encode_jpeg(web_image, quality=WEB_QUALITY, progressive=True)
    thumbnail_image = _fit(web_image, THUMBNAIL_MAX_SIDE)
    thumbnail = _encode_jpeg(thumbnail_image, quality=THUMBNAIL_QUALITY, progressive=False)
    return ProcessedImage(
        original_name=original_name,
        source_format=source_format,
        width=web_image.width,
        height=web_image.height,
        web=web,
        thumbnail=thumbnail,
        original=data if settings.PHOTO_KEEP_ORIGINALS else None,
        original_extension=_EXTENSIONS[source_format],
        token=uuid.uuid4().hex,
        gps_point=gps_point,
    )


_GPS_IFD = 0x8825


def read_gps_point(data: bytes) -> tuple[float, float] | None:
    """(latitude, longitude) from the EXIF GPS block of an upload, or None (absent, partial, malformed).

    Called on the upload's own bytes: the web copy and the thumbnail are re-encoded without metadata."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            gps = img.getexif().get_ifd(_GPS_IFD)
        latitude = _gps_degrees(gps.get(2), gps.get(1), "S")
        longitude = _gps_degrees(gps.get(4), gps.get(3), "W")
    except Exception:  # malformed EXIF must not cost the citizen the photo
        return None
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return round(latitude, 6), round(longitude, 6)


def _gps_degrees(value: Any, ref: Any, negative: str) -> float | None:
    if not value or len(value) != 3:
        return None
    degrees, minutes, seconds = (float(part) for part in value)
    result = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref or "").strip("\x00 ").upper() == negative:
        result = -result
    return result if result == result else None  # NaN from a 0/0 rational


def process_batch(uploads: Iterable[Any], *, already_attached: int = 0) -> list[ProcessedImage]:
    """Validate and process all uploads of one message or answer, or none of them.

    Validates and processes ALL files first; if any is bad raises one ValidationError carrying a list of
    ValidationErrors (one per bad file, each naming the file), so nothing is half-saved. Refuses more than
    MAX_FILES - already_attached files with code "too_many" (message like «Можно приложить не более 4 фотографий»).
    """
    uploads = list(uploads)
    already_attached = max(0, already_attached)
    remaining = max(0, MAX_FILES - already_attached)
    if len(uploads) > remaining:
        raise _too_many_error(already_attached, remaining)

    processed: list[ProcessedImage] = []
    errors: list[ValidationError] = []
    for upload in uploads:
        try:
            processed.append(process_image(upload))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return processed


# Reading ---------------------------------------------------------------------------------------


def _client_name(upload: Any, name: str | None) -> str:
    if name is None:
        name = getattr(upload, "name", None)
    if not isinstance(name, str):
        return ""
    # Browsers on Windows used to send full paths; keep the last component only.
    name = os.path.basename(name.replace("\\", "/"))
    return "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip()


def _display_name(name: str) -> str:
    if not name:
        return _UNNAMED
    if len(name) > _MAX_DISPLAY_NAME:
        half = (_MAX_DISPLAY_NAME - 1) // 2
        return f"{name[:half]}…{name[-half:]}"
    return name


def _declared_size(upload: Any) -> int | None:
    try:
        size = upload.size
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    return size if isinstance(size, int) else None


def _read_limited(upload: Any, max_bytes: int, shown: str) -> bytes:
    """Return the upload's bytes, refusing it before reading more than max_bytes + 1 bytes."""
    if isinstance(upload, bytes | bytearray | memoryview):
        if len(upload) > max_bytes:
            raise _error("too_large", shown, limit=_format_bytes(max_bytes))
        return bytes(upload)

    declared = _declared_size(upload)
    if declared is not None and declared > max_bytes:
        raise _error("too_large", shown, limit=_format_bytes(max_bytes))
    seek = getattr(upload, "seek", None)
    if seek is not None:
        # A non-seekable stream (io.UnsupportedOperation) is read from where it is.
        with contextlib.suppress(OSError, ValueError):
            seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _error("too_large", shown, limit=_format_bytes(max_bytes))
    return bytes(data)


# Identification and decoding --------------------------------------------------------------------


def _max_pixels() -> int:
    """The effective pixel limit: the setting, capped by Pillow's own global bomb limit."""
    limit = settings.PHOTO_MAX_PIXELS
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit:
        limit = min(limit, pillow_limit)
    return limit


@dataclass(frozen=True)
class JpegFrame:
    width: int
    height: int
    components: int
    progressive: bool


def _check_jpeg_structure(data: bytes, shown: str) -> JpegFrame:
    """Walk the segments from SOI to the first scan: a frame header with a sane size must come first.

    Refuses (code "broken") a file whose bytes after a marker segment are not the next marker (junk
    such as the zero bytes of a crafted file), a frame of width or height 0 or odd components, a scan
    before any frame, an end before any scan, or more than _JPEG_MAX_SEGMENTS segments.
    """
    size = len(data)
    position = 2  # after SOI
    frame: JpegFrame | None = None
    for _ in range(_JPEG_MAX_SEGMENTS):
        fill = _FILL_BYTES.match(data, position)
        if fill is None or fill.end() >= size:
            break  # not a marker where one must be, or the file ends
        marker = data[fill.end()]
        position = fill.end() + 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0x00, _JPEG_EOI) or position + 2 > size:
            break
        (length,) = struct.unpack_from(">H", data, position)
        if length < 2 or position + length > size:
            break
        if marker in _JPEG_SOF:
            if length < 8:
                break
            _precision, height, width, components = struct.unpack_from(">BHHB", data, position + 2)
            if not width or not height or components not in (1, 3, 4):
                break
            frame = JpegFrame(width, height, components, marker in _JPEG_PROGRESSIVE_SOF)
        elif marker == _JPEG_SOS:
            # A scan needs a frame before it and entropy-coded data after its header.
            if frame is None or position + length >= size:
                break
            return frame
        position += length
    raise _error("broken", shown)


def _decoded_bytes(img: Image.Image, source_format: str) -> int:
    """Memory the decoder itself holds at full size, before any reduction can take place.

    PNG and TIFF decode every pixel at full size; Pillow stores every mode they end up in (RGB, RGBA,
    LA, the RGBA of a palette image, the 32-bit I of a 16-bit scan) with up to 4 bytes per pixel. A
    baseline JPEG is decoded at 1/2 to 1/8 scale (draft); a progressive one still keeps all its DCT
    coefficients (2 bytes per sample) at full size inside libjpeg.
    """
    pixels = img.width * img.height
    if source_format == "JPEG":
        progressive = bool(img.info.get("progressive") or img.info.get("progression"))
        return pixels * len(img.getbands()) * 2 if progressive else 0
    return pixels * 4


def _check_header(data: bytes, shown: str, max_pixels: int) -> str:
    """Identify the format from the header only, check the pixel count, verify the structure.

    Returns the normalised format name. Nothing is decoded here, so a decompression bomb is refused
    before any pixel memory is allocated.
    """
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as img:
            source_format = _FORMAT_ALIASES.get(img.format or "", img.format or "")
            if source_format not in ALLOWED_FORMATS:  # pragma: no cover - guarded by `formats`
                raise _error("bad_format", shown, format=img.format or "?")
            width, height = img.size
            if width * height > max_pixels:
                raise _error("too_many_pixels", shown, limit=_format_pixels(max_pixels))
            budget = settings.PHOTO_MAX_DECODED_BYTES
            decoded = _decoded_bytes(img, source_format)
            if decoded > budget:
                # A 154 KB PNG of 6300 x 6300 RGBA pixels costs 160 MB decoded (434 MB at the peak).
                per_pixel = decoded // (width * height)
                raise _error("too_many_pixels", shown, limit=_format_pixels(budget // per_pixel))
            # Checks chunk CRCs and the presence of IEND for PNG; a no-op for JPEG and TIFF, whose
            # damage shows up in the full decode below.
            img.verify()
    except _BOMB_ERRORS as exc:
        raise _error("too_many_pixels", shown, limit=_format_pixels(max_pixels)) from exc
    except UnidentifiedImageError as exc:
        raise _unidentified_error(data, shown) from exc
    except _DECODE_ERRORS as exc:
        raise _error("broken", shown) from exc
    return source_format


def _unidentified_error(data: bytes, shown: str) -> ValidationError:
    """Tell "a damaged JPEG/PNG/TIFF" from "some other image format" from "not an image at all"."""
    if data.startswith(_SIGNATURES):
        return _error("broken", shown)
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return _error("bad_format", shown, format=_HEIF_BRANDS[data[8:12]])
    # Header parsing only (no decoding), and just to word the message.
    try:
        with Image.open(io.BytesIO(data)) as img:
            detected = img.format
    except _BOMB_ERRORS:
        detected = None  # some huge image in another format
    except Exception:
        return _error("not_image", shown)
    if not detected:
        return ValidationError(_MESSAGES["bad_format_unknown"], code="bad_format", params={"name": shown})
    return _error("bad_format", shown, format=detected)


def _decode(data: bytes, source_format: str, shown: str) -> Image.Image:
    """Fully decode the first frame and return an RGB image for the web copy, oriented upright."""
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as img:
            if source_format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the web copy is much smaller:
                # the whole stream is still decoded (truncation is still detected), with less memory.
                img.draft(None, _fitted_size(img.size, WEB_MAX_SIDE))
            img.load()
            # Read after load(): a PNG may store eXIf after the pixel data, and Pillow's TIFF
            # loader already applies the orientation itself and drops the tag.
            orientation = _orientation(img)
            # Everything happens inside the `with`, as closing the file discards its pixels (hence
            # the copy of an image that needed no conversion at all).
            image: Image.Image = img
            if _resample_before_conversion(img):
                # Mode conversions (16-bit to 8-bit doubles the memory first) and the rotation then
                # work on at most 2048 x 2048 pixels.
                image = _fit(image, WEB_MAX_SIDE)
            image = _fit(_normalise_mode(image, shown), WEB_MAX_SIDE)
            transpose = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
            if transpose is not None:
                image = image.transpose(transpose)
            image = _to_srgb(image)
            return image.copy() if image is img else image
    except ValidationError:
        raise
    except _BOMB_ERRORS as exc:
        raise _error("too_many_pixels", shown, limit=_format_pixels(_max_pixels())) from exc
    except _DECODE_ERRORS as exc:
        raise _error("broken", shown) from exc


def _resample_before_conversion(img: Image.Image) -> bool:
    """Whether img can be resized as it is, before _normalise_mode.

    Not palette or bilevel images (Pillow resizes those with NEAREST), not I;16N (see
    _high_depth_to_l), and not images with a transparent colour key (resampling would blur the
    key colour, leaving a fringe that is no longer transparent).
    """
    return img.mode not in ("1", "P", "PA", "I;16N") and img.info.get("transparency") is None


def _orientation(img: Image.Image) -> int:
    """EXIF (or TIFF tag, or XMP) orientation 1..8; 1 when absent or unreadable."""
    try:
        value = img.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # malformed EXIF must not cost the citizen the photo
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE_FOR_ORIENTATION else 1


def _normalise_mode(img: Image.Image, shown: str) -> Image.Image:
    """Bring any decoded mode to 8-bit L, LA, RGB, RGBA or CMYK."""
    mode = img.mode
    has_transparency = img.info.get("transparency") is not None
    if mode in ("1", "L") and has_transparency:
        return img.convert("LA")
    if mode == "RGB" and has_transparency:
        return img.convert("RGBA")
    if mode in ("P", "PA"):
        return img.convert("RGBA" if has_transparency or mode == "PA" else "RGB")
    if mode == "1":
        return img.convert("L")
    if mode in ("I", "F") or mode.startswith("I;16"):
        return _high_depth_to_l(img)
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return img
    try:  # YCbCr, LAB, HSV, RGBX, RGBa, La ...
        return img.convert("RGBA" if "A" in img.getbands() or "a" in img.getbands() else "RGB")
    except ValueError as exc:
        raise ValidationError(
            _MESSAGES["bad_colour_model"], code="bad_format", params={"name": shown, "mode": mode}
        ) from exc


def _high_depth_to_l(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale to 8-bit.

    A plain convert("L") clips: every 16-bit value above 255 becomes white.
    """
    mode = img.mode
    if mode == "I;16N":
        # Pillow 11.3 converts I;16N to I by clipping to 255; reinterpret it as explicit-endian data.
        img = Image.frombytes("I;16" if sys.byteorder == "little" else "I;16B", img.size, img.tobytes())
    if img.mode != "F":
        img = img.convert("I")
    # A single-band image (I or F after the conversion above) gives numbers, not per-band tuples.
    low, high = cast(tuple[float, float], img.getextrema())
    if mode.startswith("I;16"):
        scale, offset = 255 / 65535, 0.0
    elif mode == "I" and low >= 0 and high <= 255:
        scale, offset = 1.0, 0.0
    elif mode == "I" and low >= 0 and high <= 65535:
        scale, offset = 255 / 65535, 0.0
    elif mode == "F" and low >= 0 and high <= 1:
        scale, offset = 255.0, 0.0
    elif high > low:
        scale = 255 / (high - low)
        offset = -low * scale
    else:
        scale, offset = 0.0, 0.0
    return img.point(lambda value: value * scale + offset).convert("L")


def _fitted_size(size: tuple[int, int], limit: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= limit:
        return width, height
    if width >= height:
        return limit, max(1, round(height * limit / width))
    return max(1, round(width * limit / height)), limit


def _fit(img: Image.Image, limit: int) -> Image.Image:
    size = _fitted_size(img.size, limit)
    if size == img.size:
        return img
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(img: Image.Image) -> Image.Image:
    """Convert to RGB in sRGB, honouring an embedded ICC profile, and flatten alpha onto white."""
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("L", "RGB", "RGBA", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                img,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                _srgb_profile(),
                outputMode="RGBA" if img.mode == "RGBA" else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken or mismatched profile: fall back to a plain conversion
        if converted is not None:
            img = converted
    if img.mode in ("LA", "RGBA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


def _encode_jpeg(img: Image.Image, *, quality: int, progressive: bool) -> bytes:
    # Pillow's JPEG writer takes exif/icc_profile/xmp only from save() arguments, but it takes the
    # comment from im.info as well: save a copy with no info at all.
    clean = img.copy()
    clean.info.clear()
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=quality, optimize=True, progressive=progressive)
    return buffer.getvalue()


# Messages ---------------------------------------------------------------------------------------


def _error(code: str, shown: str, **params: str) -> ValidationError:
    return ValidationError(_MESSAGES[code], code=code, params={"name": shown, **params})


def _too_many_error(already_attached: int, remaining: int) -> ValidationError:
    message = "Можно приложить не более %(max)s %(photos)s"
    params: dict[str, Any] = {
        "max": MAX_FILES,
        "photos": _genitive(MAX_FILES, "фотографии", "фотографий"),
        "attached": already_attached,
        "remaining": remaining,
    }
    if already_attached and remaining:
        message += ": уже приложено %(attached)s, можно добавить ещё %(remaining)s."
    elif already_attached:
        message += ": уже приложено %(attached)s, больше добавить нельзя."
    else:
        message += "."
    return ValidationError(message, code="too_many", params=params)


def _genitive(number: int, singular: str, plural: str) -> str:
    """The form after «не более N»: «1 фотографии», «2 фотографий», «21 фотографии»."""
    return singular if number % 10 == 1 and number % 100 != 11 else plural


def _format_decimal(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _format_bytes(size: int) -> str:
    mib, kib = 1024 * 1024, 1024
    if size >= mib:
        return f"{_format_decimal(size / mib)} МБ"
    if size >= kib:
        return f"{_format_decimal(size / kib)} КБ"
    return f"{size} Б"


def _format_pixels(pixels: int) -> str:
    if pixels >= 1_000_000 and pixels % 100_000 == 0:
        return f"{_format_decimal(pixels / 1_000_000)} млн пикселей"
    grouped = f"{pixels:,}".replace(",", "\u00a0")
    return f"{grouped} {_genitive(pixels, 'пикселя', 'пикселей')}"
