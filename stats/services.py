"""Rebuilding the daily counters of stats.models from messages and events (the only writer of them).

`refresh_rollups()` rebuilds everything; `refresh_rollups(since=moment)` rebuilds only the days that
anything after `moment` can have changed. The worker calls `refresh_recent()` on a schedule, which
remembers where the previous run started, so nothing committed in between is missed.
"""

from collections import Counter
from datetime import datetime, time, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from directory.workdays import MOSCOW, local_date
from messages.models import Message, MessageEvent, Support

from .facts import WorkdayIndex, message_facts
from .loading import chunks, load_rows
from .models import DailyCount, RollupState

CHUNK = 5_000
INSERT_BATCH = 5_000
# A transaction that began before the previous run and committed after it still has earlier event times:
# the next run looks this far back (far longer than any request or task may last).
SAFETY_MARGIN = timedelta(minutes=15)

# Events after which a message counts for another category or organisation in the days it was counted
# before (the counters follow a message's current category and executing organisation), or not at all.
ATTRIBUTION_KINDS = (
    MessageEvent.Kind.REGISTERED,
    MessageEvent.Kind.REASSIGNED,
    MessageEvent.Kind.RESUBMITTED,
    MessageEvent.Kind.WITHDRAWN,  # a withdrawn message leaves every day it was counted in
)


def _moscow_midnight(day):
    return datetime.combine(day, time.min, tzinfo=MOSCOW)


def _first_day_to_rebuild(since):
    """The earliest day whose counters can differ from a rebuild: `since` itself, or earlier when a message
    touched since then changed category or organisation (then all its days move)."""
    first = local_date(since)
    moved = MessageEvent.objects.filter(created_at__gte=since, kind__in=ATTRIBUTION_KINDS).values(
        "message_id"
    )
    earliest = MessageEvent.objects.filter(message_id__in=moved).aggregate(first=Min("created_at"))["first"]
    if earliest is not None:
        first = min(first, local_date(earliest))
    return first


def _messages_to_read(start):
    if start is None:
        return Message.objects.order_by("pk").values_list("pk", flat=True)
    moment = _moscow_midnight(start)
    with_events = set(
        MessageEvent.objects.filter(created_at__gte=moment).values_list("message_id", flat=True)
    )
    with_events.update(Support.objects.filter(created_at__gte=moment).values_list("message_id", flat=True))
    return sorted(with_events)


def refresh_rollups(since=None, *, now=None, progress=None):
    """Rebuild the counters of every day from the day of `since` (all days when None). Returns the
    number of counter rows written. Safe to run while messages keep arriving, and twice at once (the
    state row is locked, so the second run waits and then rebuilds on top of the first).

    `progress(done, total)`, when given, is called before the first chunk and after each chunk of messages
    read (the long part); the command shows it as a bar."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        start = None if since is None else _first_day_to_rebuild(since)
        state.started_at = now
        counts = Counter()
        workdays = WorkdayIndex(start or local_date(now), local_date(now))
        moment = None if start is None else _moscow_midnight(start)
        ids_to_read = _messages_to_read(start)
        if progress is not None:
            total = ids_to_read.count() if start is None else len(ids_to_read)
            done = 0
            progress(done, total)
        for ids in chunks(ids_to_read, CHUNK):
            if progress is not None:
                done += len(ids)
            for row in load_rows(ids, events_since=moment):
                for day, metric, key, organization_id in message_facts(row, workdays):
                    if start is None or day >= start:
                        counts[(day, row.category_id, organization_id, metric, key)] += 1
            if progress is not None:
                progress(done, total)
        stale = DailyCount.objects.all() if start is None else DailyCount.objects.filter(day__gte=start)
        stale.delete()
        written = _insert(counts)
        state.refreshed_at = now
        state.rebuilt_from = start
        state.save()
    return written


def _insert(counts):
    """Write the counters: COPY on PostgreSQL (a full rebuild writes millions of rows), else bulk_create."""
    if connection.vendor == "postgresql":
        return _copy(counts)
    rows = (
        DailyCount(
            day=day, category_id=category_id, organization_id=organization_id, metric=metric, key=key, count=n
        )
        for (day, category_id, organization_id, metric, key), n in counts.items()
    )
    written = 0
    while batch := list(islice(rows, INSERT_BATCH)):
        DailyCount.objects.bulk_create(batch)
        written += len(batch)
    return written


def _copy(counts):
    meta = DailyCount._meta
    columns = [
        meta.get_field(name).column for name in ("day", "category", "organization", "metric", "key", "count")
    ]
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.connection.cursor().copy(sql) as copy:
        for (day, category_id, organization_id, metric, key), n in counts.items():
            copy.write_row((day, category_id, organization_id, metric, key, n))
    return len(counts)


def refresh_recent(*, now=None):
    """The scheduled refresh: everything since the previous run started (minus a safety margin), or a
    full rebuild the first time."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.started_at is None:
        return refresh_rollups(now=now)
    return refresh_rollups(since=state.started_at - SAFETY_MARGIN, now=now)
