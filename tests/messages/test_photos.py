"""Tests for messages.photos: validation and re-encoding of photos and scans (§4.5, §4.6, §6.3).

Every image is generated in the test with Pillow or written byte by byte; nothing is read from disk.
"""

import io
import struct
import time
import tracemalloc
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageOps, PngImagePlugin

from messages import photos
from messages.photos import MAX_FILES, ProcessedImage, process_batch, process_image

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
WHITE = (255, 255, 255)
HTML = b"<html><script>alert(1)</script></html>"


# Builders ---------------------------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def make_image(fmt="JPEG", size=(64, 48), mode="RGB", color=RED, **params) -> bytes:
    return encode(Image.new(mode, size, color), fmt, **params)


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def halves(size, left, right, mode="RGB") -> Image.Image:
    img = Image.new(mode, size, left)
    img.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return img


def quadrants(size=(60, 40)) -> Image.Image:
    width, height = size
    img = Image.new("RGB", size, RED)
    img.paste(GREEN, (width // 2, 0, width, height // 2))
    img.paste(BLUE, (0, height // 2, width // 2, height))
    img.paste(YELLOW, (width // 2, height // 2, width, height))
    return img


def exif_with(orientation=None, gps=False) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhone"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {
                ExifTags.GPS.GPSLatitudeRef: "N",
                ExifTags.GPS.GPSLatitude: (56.0, 48.0, 12.5),
                ExifTags.GPS.GPSLongitudeRef: "E",
                ExifTags.GPS.GPSLongitude: (61.0, 19.0, 43.25),
            }
        )
    return exif


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_ihdr(width, height, bit_depth=8, colour_type=2) -> bytes:
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))


def png_bomb(width=20_000, height=20_000) -> bytes:
    """A PNG declaring width x height 1-bit grey pixels, a few hundred bytes long, never allocated."""
    return (
        PNG_SIGNATURE
        + png_ihdr(width, height, bit_depth=1, colour_type=0)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_bomb(width=20_000, height=20_000) -> bytes:
    """SOI, a baseline SOF0 frame header declaring the size, SOS, some junk, EOI."""
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + bytes([1, 0x11, 0])
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([1, 0x00, 0, 63, 0])
    return b"\xff\xd8" + sof0 + sos + b"\x00" * 64 + b"\xff\xd9"


def tiff_bomb(width=20_000, height=20_000) -> bytes:
    """A little-endian baseline greyscale TIFF whose single strip would be width*height bytes."""
    short, long_ = 3, 4
    data_offset = 8 + 2 + 9 * 12 + 4
    entries = [
        (256, long_, width),  # ImageWidth
        (257, long_, height),  # ImageLength
        (258, short, 8),  # BitsPerSample
        (259, short, 1),  # Compression: none
        (262, short, 1),  # PhotometricInterpretation: BlackIsZero
        (273, long_, data_offset),  # StripOffsets
        (277, short, 1),  # SamplesPerPixel
        (278, long_, height),  # RowsPerStrip
        (279, long_, width * height),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        if kind == short:
            ifd += struct.pack("<HHIHH", tag, kind, 1, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, kind, 1, value)
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 64


def codes(exc_info) -> list[str]:
    return [error.code for error in exc_info.value.error_list]


def messages_of(exc_info) -> list[str]:
    return exc_info.value.messages


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_colour(actual, expected, tolerance=40):
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (actual, expected)


def assert_clean_jpeg(data: bytes):
    """A baseline JPEG with no metadata a citizen could leak through."""
    assert data.startswith(b"\xff\xd8")
    img = opened(data)
    assert img.format == "JPEG"
    assert img.mode == "RGB"
    assert not img.getexif()
    assert b"Exif" not in data
    assert b"GPS" not in data
    assert b"SecretPhone" not in data
    assert b"http://ns.adobe.com/xap" not in data
    assert b"xmpmeta" not in data
    assert b"ICC_PROFILE" not in data
    assert b"secret" not in data
    for key in ("exif", "xmp", "icc_profile", "comment", "photoshop", "adobe"):
        assert key not in img.info, key


# Accepted formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "extension"),
    [("JPEG", ".jpg"), ("PNG", ".png"), ("TIFF", ".tif")],
)
def test_accepts_jpeg_png_tiff_and_serves_jpeg(fmt, extension):
    data = make_image(fmt, size=(64, 48), color=BLUE)

    result = process_image(upload(data, f"scan{extension}"))

    assert isinstance(result, ProcessedImage)
    assert result.source_format == fmt
    assert result.original_extension == extension
    assert result.original_name == f"scan{extension}"
    assert (result.width, result.height) == (64, 48)
    for served in (result.web, result.thumbnail):
        assert served[:2] == b"\xff\xd8"  # TIFF is never served as TIFF, nor PNG as PNG
        assert_clean_jpeg(served)
        assert_colour(opened(served).getpixel((32, 24)), BLUE)
    assert opened(result.web).size == (64, 48)
    assert result.original is None
    assert len(result.token) == 32
    assert int(result.token, 16) >= 0
    assert result.web_name == f"{result.token}.jpg"
    assert result.thumbnail_name == f"{result.token}_thumb.jpg"
    assert result.original_storage_name == f"{result.token}{extension}"


def test_web_copy_is_progressive():
    result = process_image(make_image("PNG", size=(300, 200)))
    assert opened(result.web).info.get("progressive") == 1


def test_format_comes_from_the_bytes_not_the_name():
    result = process_image(upload(make_image("PNG"), "holiday.jpg"))
    assert result.source_format == "PNG"
    assert result.original_extension == ".png"


def test_mpo_from_a_phone_is_treated_as_jpeg():
    first = Image.new("RGB", (40, 30), RED)
    second = Image.new("RGB", (40, 30), BLUE)
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    result = process_image(upload(data, "stereo.jpg"))

    assert result.source_format == "JPEG"
    assert result.original_extension == ".jpg"
    assert_colour(opened(result.web).getpixel((20, 15)), RED)
    assert_clean_jpeg(result.web)


def test_accepts_bytes_file_objects_and_django_files():
    data = make_image("JPEG")
    assert process_image(data).original_name == ""
    assert process_image(data, name="camera.jpg").original_name == "camera.jpg"
    assert process_image(io.BytesIO(data), name="x.jpg").source_format == "JPEG"
    assert process_image(ContentFile(data, name="content.jpg")).original_name == "content.jpg"
    assert process_image(File(io.BytesIO(data), name="/tmp/upload/dir/file.jpg")).original_name == "file.jpg"


def test_reads_from_the_start_even_if_the_upload_was_read_before():
    file = upload(make_image("PNG"), "again.png")
    file.read()
    assert process_image(file).source_format == "PNG"


def test_tokens_are_unique():
    data = make_image("JPEG")
    assert process_image(data).token != process_image(data).token


# Number of files (§4.6, §6.3) -------------------------------------------------------------------


def test_max_files_is_four():
    assert MAX_FILES == 4
    assert {"JPEG", "PNG", "TIFF"} == photos.ALLOWED_FORMATS


def test_five_files_are_too_many():
    files = [upload(make_image(), f"{i}.jpg") for i in range(5)]
    with pytest.raises(ValidationError) as exc_info:
        process_batch(files)
    assert codes(exc_info) == ["too_many"]
    assert messages_of(exc_info) == ["Можно приложить не более 4 фотографий."]


def test_three_files_with_two_attached_are_too_many():
    files = [upload(make_image(), f"{i}.jpg") for i in range(3)]
    with pytest.raises(ValidationError) as exc_info:
        process_batch(files, already_attached=2)
    assert codes(exc_info) == ["too_many"]
    assert messages_of(exc_info) == [
        "Можно приложить не более 4 фотографий: уже приложено 2, можно добавить ещё 2."
    ]


def test_nothing_more_when_four_are_attached():
    with pytest.raises(ValidationError) as exc_info:
        process_batch([make_image()], already_attached=4)
    assert codes(exc_info) == ["too_many"]
    assert "больше добавить нельзя" in messages_of(exc_info)[0]


def test_exactly_four_files_are_fine():
    files = [
        upload(make_image(fmt), f"{i}.{fmt.lower()}") for i, fmt in enumerate(["JPEG", "PNG", "TIFF", "JPEG"])
    ]
    results = process_batch(files)
    assert [r.original_name for r in results] == ["0.jpeg", "1.png", "2.tiff", "3.jpeg"]
    assert len({r.token for r in results}) == 4


def test_two_more_with_two_attached_are_fine():
    assert len(process_batch([make_image(), make_image()], already_attached=2)) == 2


def test_empty_batch():
    assert process_batch([]) == []


def test_batch_with_a_bad_file_saves_nothing_and_names_the_bad_file():
    files = [upload(make_image(), "good.jpg"), upload(HTML, "evil.jpg")]
    with pytest.raises(ValidationError) as exc_info:
        process_batch(files)
    assert codes(exc_info) == ["not_image"]
    [message] = messages_of(exc_info)
    assert "«evil.jpg»" in message
    assert "good.jpg" not in message


def test_batch_reports_every_bad_file():
    files = [
        upload(b"not an image", "notes.txt"),
        upload(make_image(), "fine.jpg"),
        upload(make_image("GIF", mode="P", color=1), "anim.gif"),
        upload(make_image("JPEG", size=(400, 300))[:600], "cut.jpg"),
    ]
    with pytest.raises(ValidationError) as exc_info:
        process_batch(files)
    assert codes(exc_info) == ["not_image", "bad_format", "broken"]
    messages = messages_of(exc_info)
    for name, message in zip(["notes.txt", "anim.gif", "cut.jpg"], messages, strict=True):
        assert f"«{name}»" in message


# Not images, wrong formats, hostile files -------------------------------------------------------


def test_html_named_like_a_photo_is_not_an_image():
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(b"<!DOCTYPE html>" + HTML, "photo.jpg"))
    assert codes(exc_info) == ["not_image"]
    assert messages_of(exc_info) == ["Файл «photo.jpg» не является фотографией в формате JPEG, PNG или TIFF."]


def test_empty_file_is_not_an_image():
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(b"", "empty.png"))
    assert codes(exc_info) == ["not_image"]


@pytest.mark.parametrize(
    ("fmt", "mode", "color"),
    [("GIF", "P", 1), ("BMP", "RGB", RED), ("WEBP", "RGB", RED)],
)
def test_other_image_formats_are_refused(fmt, mode, color):
    data = make_image(fmt, mode=mode, color=color)
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "picture.jpg"))
    assert codes(exc_info) == ["bad_format"]
    [message] = messages_of(exc_info)
    assert message.startswith("Файл «picture.jpg» — изображение в формате ")
    assert "JPEG, PNG или TIFF" in message


def test_huge_image_of_another_format_is_a_bad_format():
    # A real 1 x 1 GIF whose screen and image descriptor claim 20000 x 20000 pixels.
    gif = bytearray(make_image("GIF", size=(1, 1), mode="P", color=0))
    gif[6:10] = struct.pack("<HH", 20_000, 20_000)
    descriptor = gif.index(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00")
    gif[descriptor + 5 : descriptor + 9] = struct.pack("<HH", 20_000, 20_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bytes(gif)))
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(bytes(gif), "huge.gif"))
    assert codes(exc_info) == ["bad_format"]
    assert "JPEG, PNG или TIFF" in messages_of(exc_info)[0]


def test_heic_gets_a_helpful_message():
    data = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "IMG_0001.HEIC"))
    assert codes(exc_info) == ["bad_format"]
    assert "в формате HEIC" in messages_of(exc_info)[0]


def test_png_header_followed_by_html_is_refused():
    data = PNG_SIGNATURE + png_ihdr(16, 16) + HTML
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "avatar.png"))
    assert codes(exc_info) == ["broken"]
    assert messages_of(exc_info) == ["Файл «avatar.png» повреждён или не дочитан."]


def test_html_appended_to_a_valid_png_never_reaches_served_copies(settings):
    settings.PHOTO_KEEP_ORIGINALS = True
    data = make_image("PNG", size=(32, 32)) + HTML
    result = process_image(upload(data, "polyglot.png"))
    for served in (result.web, result.thumbnail):
        assert b"<html" not in served
        assert b"<script" not in served
    # The untouched original keeps it: it is for staff only and must be served as an attachment.
    assert result.original == data


def test_html_in_png_text_chunk_never_reaches_served_copies():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", HTML.decode())
    data = make_image("PNG", pnginfo=info)
    assert b"<script" in data
    result = process_image(data)
    assert b"<script" not in result.web
    assert b"<script" not in result.thumbnail


# Metadata ---------------------------------------------------------------------------------------


def test_gps_exif_xmp_comment_and_icc_are_stripped_from_jpeg():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = make_image(
        "JPEG",
        size=(800, 600),
        exif=exif_with(gps=True),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
        comment=b"secret-comment",
        icc_profile=icc,
    )
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really carries GPS
    assert b"secret-xmp" in data
    assert b"secret-comment" in data
    assert b"SecretPhone" in data

    result = process_image(upload(data, "walk.jpg"))

    for served in (result.web, result.thumbnail):
        assert_clean_jpeg(served)
        assert not opened(served).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_png_text_chunks_and_exif_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author")
    info.add_itxt("Description", "secret-description", lang="ru")
    info.add_text("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>')
    data = make_image("PNG", pnginfo=info, exif=exif_with(gps=True))
    assert b"secret-author" in data

    result = process_image(data)

    for served in (result.web, result.thumbnail):
        assert_clean_jpeg(served)


def test_tiff_tags_and_exif_are_stripped():
    data = make_image("TIFF", exif=exif_with(gps=True), description="secret-description")
    assert b"SecretPhone" in data

    result = process_image(data)

    for served in (result.web, result.thumbnail):
        assert_clean_jpeg(served)


def test_icc_profile_is_applied_then_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = process_image(make_image("PNG", icc_profile=srgb, color=(10, 120, 230)))
    assert_colour(opened(result.web).getpixel((5, 5)), (10, 120, 230), tolerance=8)
    assert_clean_jpeg(result.web)


@pytest.mark.parametrize(
    "profile",
    [b"not really an ICC profile", ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()],
    ids=["garbage", "lab-profile-on-rgb"],
)
def test_unusable_icc_profile_falls_back_to_plain_conversion(profile):
    result = process_image(make_image("JPEG", icc_profile=profile, color=GREEN))
    assert_colour(opened(result.web).getpixel((5, 5)), GREEN)
    assert_clean_jpeg(result.web)


# Orientation ------------------------------------------------------------------------------------


def test_exif_orientation_6_is_applied():
    # 200 x 100, left half red, right half blue; Orientation=6 means "rotate 90° CW to display".
    data = encode(halves((200, 100), RED, BLUE), "JPEG", exif=exif_with(orientation=6), quality=95)

    result = process_image(upload(data, "phone.jpg"))

    assert (result.width, result.height) == (100, 200)
    web = opened(result.web)
    assert web.size == (100, 200)
    assert_colour(web.getpixel((50, 20)), RED)
    assert_colour(web.getpixel((50, 180)), BLUE)
    thumbnail = opened(result.thumbnail)
    assert thumbnail.size == (100, 200)
    assert_colour(thumbnail.getpixel((50, 20)), RED)
    assert not web.getexif()  # Orientation is gone too, so viewers will not rotate it twice


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_every_orientation_matches_pillow_exif_transpose(fmt, orientation):
    data = encode(quadrants((60, 40)), fmt, exif=exif_with(orientation=orientation))
    expected = ImageOps.exif_transpose(opened(data)).convert("RGB")

    web = opened(process_image(data).web)

    assert web.size == expected.size
    width, height = web.size
    for x, y in [(width // 4, height // 4), (3 * width // 4, height // 4), (width // 4, 3 * height // 4)]:
        assert_colour(web.getpixel((x, y)), expected.getpixel((x, y)))


# Pillow reports unreadable EXIF with a UserWarning (an error under this project's pytest settings);
# in production it is only a warning, and the photo must survive it.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_malformed_exif_does_not_lose_the_photo():
    data = make_image("JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    result = process_image(data)
    assert (result.width, result.height) == (64, 48)
    assert_clean_jpeg(result.web)


# Decompression bombs ----------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [png_bomb, jpeg_bomb, tiff_bomb], ids=["png", "jpeg", "tiff"])
def test_decompression_bomb_is_refused_fast_and_without_allocating(builder):
    data = builder(20_000, 20_000)
    assert len(data) < 1000
    stats_before = Image.core.get_stats()

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ValidationError) as exc_info:
            process_image(upload(data, "bomb.png"))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert codes(exc_info) == ["too_many_pixels"]
    assert messages_of(exc_info) == [
        "Файл «bomb.png» слишком большой по размеру изображения (не более 40 млн пикселей)."
    ]
    assert elapsed < 2
    # tracemalloc only sees Python-level allocations; Pillow allocates pixels in C, which its own
    # allocator statistics reveal: no image memory block may have been allocated at all.
    assert peak < 50 * 1024 * 1024
    assert Image.core.get_stats()["allocated_blocks"] == stats_before["allocated_blocks"]


@pytest.mark.parametrize(
    ("builder", "fmt"),
    [(png_bomb, "PNG"), (jpeg_bomb, "JPEG"), (tiff_bomb, "TIFF")],
    ids=["png", "jpeg", "tiff"],
)
def test_hand_made_headers_are_what_they_claim(builder, fmt):
    # Sanity check of the bomb builders: small sizes open as the right format with the right size
    # (the bodies are junk, so processing them fails as "broken", not as "not an image").
    with Image.open(io.BytesIO(builder(123, 45))) as img:
        assert (img.format, img.size) == (fmt, (123, 45))


def test_image_between_the_limit_and_twice_the_limit_is_refused():
    # 49 Mpx: Pillow only warns here (the settings turn that warning into an error); we refuse too.
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(png_bomb(7000, 7000), "big.png"))
    assert codes(exc_info) == ["too_many_pixels"]


def test_pixel_limit_comes_from_settings_at_call_time(settings):
    data = make_image("PNG", size=(100, 100))
    settings.PHOTO_MAX_PIXELS = 9_999
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "small.png"))
    assert codes(exc_info) == ["too_many_pixels"]
    assert messages_of(exc_info) == [
        "Файл «small.png» слишком большой по размеру изображения (не более 9\u00a0999 пикселей)."
    ]
    settings.PHOTO_MAX_PIXELS = 10_000
    assert process_image(data).width == 100


# File size --------------------------------------------------------------------------------------


class CountingReader:
    """A stream without .size that records how much was asked of it."""

    def __init__(self, data: bytes):
        self._stream = io.BytesIO(data)
        self.requested: list[int] = []

    def read(self, size=-1):
        self.requested.append(size)
        return self._stream.read(size)


class DeclaredSize:
    """An upload whose declared size is too large: it must not be read at all."""

    name = "huge.tif"
    size = 50 * 1024 * 1024

    def read(self, size=-1):
        raise AssertionError("read() must not be called")


def test_too_large_file_is_refused(settings):
    settings.PHOTO_MAX_BYTES = 1000
    data = encode(Image.effect_noise((64, 64), 64).convert("RGB"), "PNG")
    assert len(data) > 1000
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "noise.png"))
    assert codes(exc_info) == ["too_large"]
    assert messages_of(exc_info) == ["Файл «noise.png» больше 1000 Б."]


def test_too_large_is_refused_before_reading(settings):
    with pytest.raises(ValidationError) as exc_info:
        process_image(DeclaredSize())
    assert codes(exc_info) == ["too_large"]
    assert messages_of(exc_info) == ["Файл «huge.tif» больше 10 МБ."]


def test_stream_without_size_is_read_at_most_limit_plus_one(settings):
    settings.PHOTO_MAX_BYTES = 1000
    reader = CountingReader(b"\x00" * 100_000)
    with pytest.raises(ValidationError) as exc_info:
        process_image(reader, name="stream.png")
    assert codes(exc_info) == ["too_large"]
    assert reader.requested == [1001]


def test_file_of_exactly_the_limit_is_accepted(settings):
    data = make_image("PNG")
    settings.PHOTO_MAX_BYTES = len(data)
    assert process_image(CountingReader(data)).source_format == "PNG"
    settings.PHOTO_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError):
        process_image(data)


# Damaged files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_images_are_broken(fmt, keep):
    img = Image.effect_noise((300, 200), 50).convert("RGB")
    data = encode(img, fmt)
    cut = data[: int(len(data) * keep)]
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(cut, f"cut.{fmt.lower()}"))
    assert codes(exc_info) == ["broken"]
    assert messages_of(exc_info) == [f"Файл «cut.{fmt.lower()}» повреждён или не дочитан."]


def test_png_with_a_bad_crc_is_broken():
    data = bytearray(make_image("PNG", size=(40, 40)))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    with pytest.raises(ValidationError) as exc_info:
        process_image(bytes(data), name="crc.png")
    assert codes(exc_info) == ["broken"]


def test_only_a_header_is_broken():
    with pytest.raises(ValidationError) as exc_info:
        process_image(b"\xff\xd8\xff\xe0", name="header.jpg")
    assert codes(exc_info) == ["broken"]


# Sizes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "web", "thumbnail"),
    [
        ((3000, 1000), (2048, 683), (400, 133)),
        ((1000, 3000), (683, 2048), (133, 400)),
        ((2048, 2048), (2048, 2048), (400, 400)),
        ((300, 200), (300, 200), (300, 200)),
        ((5000, 3000), (2048, 1229), (400, 240)),
        ((10_000, 10), (2048, 2), (400, 1)),
    ],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_web_copy_and_thumbnail_sizes(fmt, size, web, thumbnail):
    result = process_image(make_image(fmt, size=size, color=GREEN))
    assert (result.width, result.height) == web
    assert opened(result.web).size == web
    assert opened(result.thumbnail).size == thumbnail
    assert_colour(opened(result.web).getpixel((web[0] // 2, web[1] // 2)), GREEN)


# Originals --------------------------------------------------------------------------------------


def test_originals_are_not_kept_by_default(settings):
    settings.PHOTO_KEEP_ORIGINALS = False
    assert process_image(make_image("TIFF")).original is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_originals_are_kept_unchanged_when_enabled(settings, fmt):
    settings.PHOTO_KEEP_ORIGINALS = True
    data = make_image(fmt, exif=exif_with(gps=True))
    result = process_image(upload(data, "scan"))
    assert result.original == data
    assert_clean_jpeg(result.web)


# Colour modes -----------------------------------------------------------------------------------


def test_rgba_transparency_is_composited_on_white():
    img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (0, 0, 20, 40))
    result = process_image(encode(img, "PNG"))
    web = opened(result.web)
    assert_colour(web.getpixel((10, 20)), RED)
    assert_colour(web.getpixel((30, 20)), WHITE)


def test_palette_png_with_transparency():
    img = Image.new("P", (40, 40), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.paste(1, (20, 0, 40, 40))
    data = encode(img, "PNG", transparency=1)
    assert Image.open(io.BytesIO(data)).mode == "P"
    web = opened(process_image(data).web)
    assert_colour(web.getpixel((10, 20)), RED)
    assert_colour(web.getpixel((30, 20)), WHITE)


def test_palette_png_without_transparency():
    img = Image.new("RGB", (40, 40), BLUE).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    web = opened(process_image(encode(img, "PNG")).web)
    assert_colour(web.getpixel((20, 20)), BLUE)


@pytest.mark.parametrize(
    ("mode", "color", "expected"),
    [
        ("L", 128, (128, 128, 128)),
        ("LA", (0, 0), WHITE),
        ("1", 1, WHITE),
        ("RGB", (12, 200, 100), (12, 200, 100)),
    ],
)
def test_other_png_modes(mode, color, expected):
    data = make_image("PNG", mode=mode, color=color)
    web = opened(process_image(data).web)
    assert web.mode == "RGB"
    assert_colour(web.getpixel((10, 10)), expected, tolerance=6)


def test_grey_png_with_transparent_colour():
    img = Image.new("L", (40, 40), 50)
    img.paste(200, (20, 0, 40, 40))
    web = opened(process_image(encode(img, "PNG", transparency=200)).web)
    assert_colour(web.getpixel((10, 20)), (50, 50, 50), tolerance=6)
    assert_colour(web.getpixel((30, 20)), WHITE, tolerance=6)


def sixteen_bit_gradient(width=256, height=16) -> Image.Image:
    """Left to right from 0 to 65535 in mode I;16."""
    row = b"".join(struct.pack("<H", x * 65535 // (width - 1)) for x in range(width))
    return Image.frombytes("I;16", (width, height), row * height)


@pytest.mark.parametrize("fmt", ["TIFF", "PNG"])
def test_sixteen_bit_greyscale_is_scaled_not_clipped(fmt):
    data = encode(sixteen_bit_gradient(), fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")

    web = opened(process_image(data).web)

    left, middle, right = (web.getpixel((x, 8))[0] for x in (2, 128, 253))
    assert left < 10
    assert 110 < middle < 145  # a plain convert("L") would make this 255
    assert right > 245


def test_large_sixteen_bit_tiff_is_resized_and_scaled():
    data = encode(sixteen_bit_gradient(width=3000, height=40), "TIFF")
    result = process_image(data)
    assert (result.width, result.height) == (2048, 27)
    web = opened(result.web)
    assert 110 < web.getpixel((1024, 13))[0] < 145
    assert web.getpixel((2040, 13))[0] > 245


def test_big_endian_sixteen_bit_tiff():
    img = sixteen_bit_gradient().convert("I").convert("I;16B")
    data = encode(img, "TIFF")
    assert data.startswith(b"MM")
    web = opened(process_image(data).web)
    assert 110 < web.getpixel((128, 8))[0] < 145


def test_cmyk_jpeg():
    data = make_image("JPEG", mode="CMYK", color=(0, 255, 255, 0))  # red in CMYK
    result = process_image(data)
    assert result.source_format == "JPEG"
    assert_colour(opened(result.web).getpixel((10, 10)), RED, tolerance=60)


def test_multi_page_tiff_uses_the_first_page():
    first = Image.new("RGB", (50, 40), RED)
    second = Image.new("RGB", (80, 90), BLUE)
    data = encode(first, "TIFF", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).n_frames == 2

    result = process_image(data)

    assert (result.width, result.height) == (50, 40)
    assert_colour(opened(result.web).getpixel((25, 20)), RED)


@pytest.mark.parametrize("compression", ["tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"])
def test_compressed_tiff(compression):
    data = make_image("TIFF", size=(120, 80), color=BLUE, compression=compression)
    assert_colour(opened(process_image(data).web).getpixel((60, 40)), BLUE)


# Bounded cost per file (issue 11, item 7) -------------------------------------------------------


def rgba_png_stream(width: int, height: int) -> bytes:
    """A real, valid, tiny PNG of width x height transparent RGBA pixels, built row by row."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (4 * width)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        PNG_SIGNATURE
        + png_ihdr(width, height, colour_type=6)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def pillow_opens(monkeypatch):
    """Counts every Image.open: a file refused by the structure check never reaches Pillow's parsers."""
    calls = []
    real_open = Image.open

    def counting_open(*args, **kwargs):
        calls.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    return calls


def test_zero_filled_jpeg_is_refused_by_the_structure_check(pillow_opens):
    # SOI and 9.9 MB of zero bytes cost ~1 s each in Pillow's byte-by-byte marker search.
    data = b"\xff\xd8\xff" + bytes(9_900_000)
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "zeros.jpg"))
    assert codes(exc_info) == ["broken"]
    assert pillow_opens == []


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8" + bytes(1000),  # junk right after SOI
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(1000),  # a segment, then junk
        jpeg_bomb(100, 100).replace(b"\xff\xc0", b"\xff\xe1"),  # a scan before any frame header
        jpeg_bomb(0, 100),  # width 0
        jpeg_bomb(100, 100)[:-68],  # a scan header with nothing after it
        b"\xff\xd8" + b"\xff\xfe\x00\x02" * 600 + jpeg_bomb(10, 10)[2:],  # endless segments
    ],
    ids=["junk", "segment-then-junk", "scan-before-frame", "zero-width", "empty-scan", "segments"],
)
def test_jpeg_without_a_sane_structure_never_reaches_pillow(data, pillow_opens):
    with pytest.raises(ValidationError) as exc_info:
        process_image(upload(data, "crafted.jpg"))
    assert codes(exc_info) == ["broken"]
    assert pillow_opens == []


def test_jpeg_with_fill_bytes_between_segments_is_accepted():
    data = make_image("JPEG", size=(40, 30))
    data = data[:2] + b"\xff\xff\xff" + data[2:]
    assert process_image(data, name="fill.jpg").width == 40


def test_huge_rgba_png_is_refused_before_any_pixel_is_allocated():
    # 154 KB that decode to 6300 x 6300 x 4 bytes (160 MB; 434 MB at the peak of the old pipeline).
    data = rgba_png_stream(6300, 6300)
    assert len(data) < 250_000
    stats_before = Image.core.get_stats()
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as exc_info:
            process_image(upload(data, "big.png"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert codes(exc_info) == ["too_many_pixels"]
    assert messages_of(exc_info) == [
        "Файл «big.png» слишком большой по размеру изображения (не более 25\u00a0165\u00a0824 пикселей)."
    ]
    assert peak < 64 * 1024 * 1024
    assert Image.core.get_stats()["allocated_blocks"] == stats_before["allocated_blocks"]


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_lossless_decoded_size_limit_counts_four_bytes_a_pixel(settings, fmt):
    data = make_image(fmt, size=(100, 100), mode="L", color=128)
    settings.PHOTO_MAX_DECODED_BYTES = 40_000
    assert process_image(data, name="scan").width == 100
    settings.PHOTO_MAX_DECODED_BYTES = 39_999
    with pytest.raises(ValidationError) as exc_info:
        process_image(data, name="scan")
    assert codes(exc_info) == ["too_many_pixels"]


def test_progressive_jpeg_is_charged_for_its_coefficients_baseline_is_not(settings):
    baseline = make_image("JPEG", size=(100, 100))
    progressive = make_image("JPEG", size=(100, 100), progressive=True)
    settings.PHOTO_MAX_DECODED_BYTES = 60_000  # 100 x 100 x 3 samples x 2 bytes
    assert process_image(progressive, name="p.jpg").width == 100
    settings.PHOTO_MAX_DECODED_BYTES = 59_999
    with pytest.raises(ValidationError) as exc_info:
        process_image(progressive, name="p.jpg")
    assert codes(exc_info) == ["too_many_pixels"]
    assert process_image(baseline, name="b.jpg").width == 100
