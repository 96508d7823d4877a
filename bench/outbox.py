"""Bench: the outbox task delivering N pending notifications in batches (issue 6).

    .venv/bin/python bench/outbox.py                 # 10,000 rows, fresh SQLite file in a temp dir
    DATABASE_URL=postgres://…/db .venv/bin/python bench/outbox.py --rows 10000 --batch 100

It migrates the database it is given (use a scratch one), writes N outbox rows with bulk_create, then
times one `deliver_outbox` run with the dummy email backend — every email is still rendered from its
three templates and every row is claimed and marked sent, only the SMTP hop is left out. It reports the
rate and the peak Python memory (tracemalloc) of the run, next to a run over a tenth of the rows: the
peak must not grow with N, because rows are claimed by id a batch at a time and never loaded all at once.
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))


def setup(scratch):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zarechny.settings")
    os.environ.setdefault("VAR_DIR", str(scratch))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ["Q_SYNC"] = "1"
    os.environ.setdefault("DEBUG", "1")  # development secrets (DEBUG is off unless set); switched off below
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    # DEBUG keeps the last 9,000 queries in memory, which would pollute the memory figure.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)


def make_rows(count):
    from django.utils import timezone

    from accounts.models import User
    from directory.models import Category, Organization, Topic
    from messages.models import Message, MessageEvent, Notification

    now = timezone.now()
    stamp = time.monotonic_ns()
    org = Organization.objects.create(key=f"bench-{stamp}", name="Организация", short_name="Орг")
    topic = Topic.objects.create(key=f"bench-{stamp}", name=f"Тема {stamp}")
    category = Category.objects.create(
        key=f"bench-{stamp}", name=f"Категория {stamp}", topic=topic, responsible_organization=org
    )
    users = User.objects.bulk_create(
        [User(email=f"bench{stamp}-{i}@example.ru", full_name=f"Житель {i}") for i in range(100)]
    )
    per_user = (count + len(users) - 1) // len(users)
    message = Message.objects.create(
        number=f"B{stamp % 10**12}",
        author=users[0],
        category=category,
        text="Яма",
        occurred_at=now,
        address="ул. Ленина, 1",
        submitted_at=now,
        registration_due=now,
    )
    events = MessageEvent.objects.bulk_create(
        [MessageEvent(message=message, kind="submitted", created_at=now) for _ in range(per_user)]
    )
    rows = (
        Notification(
            recipient=user, kind="received", message=message, event=event, created_at=now, next_attempt_at=now
        )
        for event in events
        for user in users
    )
    batch = []
    made = 0
    for row in rows:
        if made == count:
            break
        batch.append(row)
        made += 1
        if len(batch) == 2000:
            Notification.objects.bulk_create(batch)
            batch = []
    Notification.objects.bulk_create(batch)
    return made


def run(count, batch, *, trace):
    """One delivery run over `count` fresh rows; with `trace`, peak memory instead of honest timing
    (tracemalloc slows Python down several times)."""
    from messages.models import Notification
    from messages.tasks import deliver_outbox

    make_rows(count)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    stats = deliver_outbox(batch_size=batch, time_budget=3600)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    tracemalloc.stop()
    left = Notification.objects.filter(email_status="pending").count()
    return {"rows": count, "sent": stats["sent"], "left": left, "seconds": elapsed, "peak": peak}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        setup(Path(scratch))
        from django.db import connection

        timed = run(args.rows, args.batch, trace=False)
        small = run(max(args.rows // 10, 1), args.batch, trace=True)
        large = run(args.rows, args.batch, trace=True)
        print(f"database: {connection.vendor}, batch size: {args.batch}")
        print(
            f"{timed['rows']:,} rows: sent {timed['sent']:,}, left {timed['left']}, "
            f"{timed['seconds']:.1f} s, {timed['rows'] / timed['seconds']:,.0f} rows/s"
        )
        for r in (small, large):
            print(f"peak Python memory of a run over {r['rows']:,} rows: {r['peak'] / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
