"""JPEGs with an EXIF GPS block, built with Pillow (no network, no piexif)."""

import io
from fractions import Fraction

from PIL import Image


def _dms(value):
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = Fraction(round((minutes_full - minutes) * 60 * 10000), 10000)
    return (Fraction(degrees), Fraction(minutes), seconds)


def jpeg_with_gps(latitude, longitude, *, size=(64, 48), colour=(120, 160, 90)):
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make: something to show that the stored copy has no EXIF left
    exif[0x8825] = {
        1: "N" if latitude >= 0 else "S",
        2: _dms(latitude),
        3: "E" if longitude >= 0 else "W",
        4: _dms(longitude),
    }
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()
