"""Worst-case time and memory of one photo upload through messages.photos.process_image (issue 11, item 7).

Run:  .venv/bin/python bench/uploads.py [--repeat 3]

Cases: a 9.9 MB "JPEG" that is an SOI marker followed by zero bytes, a 154 KB 6300 x 6300 RGBA PNG
(159 MB once decoded), a 5000 x 5000 RGBA PNG (the largest the default PHOTO_MAX_DECODED_BYTES
accepts), and a 12-megapixel phone-like photo (4000 x 3000, noise over gradients,
quality 90, EXIF orientation 6). Every case runs in a fresh Python process, so its peak resident
memory (ru_maxrss) is its own: the figure "rss +" is the peak minus the process's resident size just
before the first call (Django set up, the file read). tracemalloc's peak covers Python allocations
and, as Pillow allocates image memory with malloc, not necessarily all pixel buffers — hence both.
Time is the worst of --repeat calls in that process; memory is measured on the first call.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_cases(folder: Path) -> dict[str, Path]:
    from PIL import Image

    cases = {}
    zero = folder / "zero.jpg"
    zero.write_bytes(b"\xff\xd8\xff" + bytes(9_900_000 - 3))
    cases["zero-filled 9.9 MB JPEG"] = zero

    png = folder / "big.png"
    Image.new("RGBA", (6300, 6300), (200, 30, 30, 128)).save(png, "PNG", optimize=True)
    cases[f"6300x6300 RGBA PNG ({png.stat().st_size // 1024} KB)"] = png

    largest = folder / "largest.png"
    Image.new("RGBA", (5000, 5000), (30, 120, 200, 200)).save(largest, "PNG", optimize=True)
    cases[f"5000x5000 RGBA PNG ({largest.stat().st_size // 1024} KB)"] = largest

    width, height = 4000, 3000
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    red = Image.blend(gradient, noise, 0.35)
    green = Image.blend(gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.25)
    blue = Image.blend(Image.radial_gradient("L").resize((width, height)), noise, 0.3)
    photo = Image.merge("RGB", (red, green, blue))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° on display, as phones do
    exif[0x010F] = "BenchPhone"
    jpeg = folder / "phone.jpg"
    photo.save(jpeg, "JPEG", quality=90, exif=exif)
    cases[f"12 Mpx phone photo 4000x3000 q90 ({jpeg.stat().st_size // 1024} KB)"] = jpeg
    return cases


CHILD = r"""
import json, os, resource, sys, time, tracemalloc
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zarechny.settings")
import django
django.setup()
from django.core.exceptions import ValidationError
from messages.photos import process_image

path, repeat = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times, outcome = [], None
for attempt in range(repeat):
    if attempt == 0:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        result = process_image(data, name=os.path.basename(path))
        outcome = f"accepted {result.width}x{result.height}"
    except ValidationError as exc:
        outcome = "refused: " + "; ".join(exc.messages)
    times.append(time.perf_counter() - started)
    if attempt == 0:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"worst_s": max(times), "tracemalloc_mb": peak / 2**20,
                  "rss_mb": rss_after / 1024, "rss_delta_mb": (rss_after - rss_before) / 1024,
                  "outcome": outcome}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--make", help=argparse.SUPPRESS)  # internal: write the cases into this folder
    args = parser.parse_args()
    if args.make:
        cases = make_cases(Path(args.make))
        print(json.dumps({label: str(path) for label, path in cases.items()}))
        return
    env = {**os.environ, "DEBUG": "1"}
    with tempfile.TemporaryDirectory() as folder:
        # Generated in a child too: Linux carries a parent's peak RSS over fork + exec into the child.
        made = subprocess.run(
            [sys.executable, __file__, "--make", folder], capture_output=True, text=True, check=True
        )
        cases = json.loads(made.stdout)
        print(
            f"{'case':<44} {'worst s':>8} {'tracemalloc MB':>15} {'peak RSS MB':>12} {'rss + MB':>9}  outcome"
        )
        for label, path in cases.items():
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(args.repeat)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{label:<44} {row['worst_s']:>8.3f} {row['tracemalloc_mb']:>15.1f} "
                f"{row['rss_mb']:>12.1f} {row['rss_delta_mb']:>9.1f}  {row['outcome'][:70]}"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
