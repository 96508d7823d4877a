"""Bench: 50 citizens submitting a message with 4 photos each at the same moment (issue 10, point 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h3 .venv/bin/python bench/submit.py
    … bench/submit.py --storage-delay-ms 30      # each file write takes 30 ms more (object storage)

Give it a scratch PostgreSQL database: it migrates it and adds an organisation, a category and the
citizens. The photos are decoded and re-encoded beforehand (that happens in the view, before the service,
in every version of the code), so what is timed is `messages.services.message_submit` itself: writing the
web copies and thumbnails, taking the message number and inserting the rows.

Each submission runs in its own thread with its own database connection (opened before the start), all
released together by a barrier — the service layer, not HTTP, so that only the number counter and the
file writes are measured, not gunicorn's two workers. It prints the throughput (submissions per second
of wall time from the barrier to the last commit) and the p50 / p99 / max latency of one submission,
per round and over all rounds. `--storage-delay-ms` adds a fixed delay to every file write of the
private storage, which is what object storage (S3 through django-storages, DESIGN.md) costs; it
changes no code path.
"""

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))


def setup(scratch):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zarechny.settings")
    os.environ.setdefault("VAR_DIR", str(scratch))
    os.environ["Q_SYNC"] = "0"  # the outbox wake goes to the broker table; no worker runs here
    os.environ.setdefault("DEBUG", "1")  # development secrets (DEBUG is off unless set); switched off below
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("bench/submit.py needs PostgreSQL: set DATABASE_URL (SQLite serialises every writer).")
    settings.DEBUG = False
    logging.getLogger("django-q").setLevel(logging.WARNING)  # one "Enqueued" line per submission
    settings.PRIVATE_MEDIA_ROOT = scratch / "private"
    call_command("migrate", verbosity=0)


def photo_bytes(seed):
    """A 12-megapixel-like phone photo is too slow to prepare 200 times; 1600×1200 keeps the web copy
    and thumbnail of a real size (≈150–300 KB written per photo)."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, 1600, 40):
        draw.line(
            [(i, 0), (1600 - i, 1200)], fill=((seed * 37 + i) % 256, (i * 3) % 256, seed % 256), width=9
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def make_world(citizens):
    from accounts.models import User
    from directory.models import Category, Organization, Topic

    stamp = time.monotonic_ns()
    org = Organization.objects.create(key=f"bench-{stamp}", name="Организация", short_name="Орг")
    topic = Topic.objects.create(key=f"bench-{stamp}", name=f"Тема {stamp}")
    category = Category.objects.create(
        key=f"bench-{stamp}", name=f"Категория {stamp}", topic=topic, responsible_organization=org
    )
    users = User.objects.bulk_create(
        [User(email=f"submit{stamp}-{i}@example.ru", full_name=f"Житель {i}") for i in range(citizens)]
    )
    return category, users


def prepare_photos(count, per_message, raw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from messages.photos import process_batch

    return [
        process_batch(
            [SimpleUploadedFile(f"photo{j}.jpg", raw[(i + j) % len(raw)]) for j in range(per_message)]
        )
        for i in range(count)
    ]


def slow_storage(delay):
    """Every file write of the private storage takes `delay` seconds longer (object storage latency)."""
    from messages.storage import PrivateStorage

    save = PrivateStorage._save

    def _save(self, name, content):
        time.sleep(delay)
        return save(self, name, content)

    PrivateStorage._save = _save


def one_round(category, users, batches):
    from django.db import connection, connections
    from django.utils import timezone

    from messages.services import message_submit

    barrier = threading.Barrier(len(users) + 1)
    latencies = [None] * len(users)
    errors = []
    finished = []

    def citizen(index):
        try:
            connection.ensure_connection()  # the connection is not part of the measured time
            barrier.wait(timeout=60)
            started = time.perf_counter()
            now = timezone.now()
            message_submit(
                author=users[index],
                category=category,
                text=f"Яма на дороге, сообщение {index}",
                occurred_at=now,
                address="ул. Ленина, 5",
                photos=batches[index],
                now=now,
            )
            latencies[index] = time.perf_counter() - started
            finished.append(time.perf_counter())
        except Exception as exc:  # reported below; the bench must not hang on one failure
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=citizen, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        sys.exit(f"{len(errors)} submissions failed, e.g. {errors[0]}")
    return len(users) / (max(finished) - start), sorted(latencies)


def percentile(values, share):
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def line(label, throughput, latencies):
    ms = [v * 1000 for v in latencies]
    return (
        f"{label}: {throughput:6.1f} submissions/s · p50 {statistics.median(ms):7.1f} ms · "
        f"p99 {percentile(ms, 0.99):7.1f} ms · max {max(ms):7.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--storage-delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    setup(scratch)
    if args.storage_delay_ms:
        slow_storage(args.storage_delay_ms / 1000)
    raw = [photo_bytes(seed) for seed in range(8)]
    category, users = make_world(args.concurrent)
    print(
        f"{args.concurrent} concurrent submissions × {args.photos} photos, {args.rounds} rounds, "
        f"extra delay per file write {args.storage_delay_ms:g} ms"
    )
    all_latencies, throughputs = [], []
    for number in range(1, args.rounds + 1):
        batches = prepare_photos(args.concurrent, args.photos, raw)
        throughput, latencies = one_round(category, users, batches)
        print(line(f"round {number}", throughput, latencies))
        throughputs.append(throughput)
        all_latencies.extend(latencies)
    print(line("overall", statistics.median(throughputs), sorted(all_latencies)) + " (median throughput)")


if __name__ == "__main__":
    main()
