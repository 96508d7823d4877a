"""Rebuilding the statistics tables of stats.models from messages and events (the only writer of them):
the facts of every message (MessageFact), the daily counters (DailyCount, the facts grouped by day) and
the monthly layer over them (MonthlyCount, the daily counters grouped by month).

`refresh_rollups()` rebuilds everything; `refresh_rollups(since=moment)` rebuilds only the days (and
their months) that anything after `moment` can have changed. The worker calls `refresh_recent()` on a schedule, which
remembers where the previous run started, so nothing committed in between is missed.
"""

from collections import Counter
from datetime import datetime, time, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import Min, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from directory.workdays import MOSCOW, local_date
from messages.models import Message, MessageEvent, Support

from .facts import WorkdayIndex, message_facts
from .loading import chunks, load_rows
from .models import DailyCount, DayTotal, MessageFact, MonthlyCount, RollupState

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
    """Rebuild the facts and counters of every day from the day of `since` (all days when None), and
    the months those days fall in. Returns the number of daily counter rows written. Safe to run while
    messages keep arriving, and twice at once (the state row is locked, so the second run waits and then
    rebuilds on top of the first). Readers see the old rows until the transaction commits.

    `progress(done, total)`, when given, is called before the first chunk and after each chunk of messages
    read (the long part); the command shows it as a bar."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        start = None if since is None else _first_day_to_rebuild(since)
        state.started_at = now
        (MessageFact.objects.all() if start is None else MessageFact.objects.filter(day__gte=start)).delete()
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
            stored = []
            for row in load_rows(ids, events_since=moment):
                for day, metric, key, organization_id in message_facts(row, workdays):
                    if start is None or day >= start:
                        counts[(day, row.category_id, organization_id, metric, key)] += 1
                        stored.append((row.id, day, metric, key, row.category_id, organization_id))
            _insert(MessageFact, FACT_FIELDS, stored)
            if progress is not None:
                progress(done, total)
        stale = DailyCount.objects.all() if start is None else DailyCount.objects.filter(day__gte=start)
        stale.delete()
        written = _insert(DailyCount, COUNT_FIELDS, ((*key, n) for key, n in counts.items()))
        rebuild_months(start)
        state.refreshed_at = now
        state.rebuilt_from = start
        state.save()
    return written


COUNT_FIELDS = ("day", "category", "organization", "metric", "key", "count")
MONTH_FIELDS = ("month", "category", "organization", "metric", "key", "count")
TOTAL_FIELDS = ("day", "metric", "count")
FACT_FIELDS = ("message", "day", "metric", "key", "category", "organization")


def rebuild_months(start):
    """The layers over the daily counters, for every day from the first of the month of `start` (all
    when None): the monthly counters (a month is the sum of its days, so a period's whole months are
    read there) and the day totals of the series. Returns the number of monthly rows."""
    first_month = None if start is None else start.replace(day=1)
    days = DailyCount.objects.all()
    months = MonthlyCount.objects.all()
    totals = DayTotal.objects.all()
    if first_month is not None:
        days = days.filter(day__gte=first_month)
        months = months.filter(month__gte=first_month)
        totals = totals.filter(day__gte=first_month)
    months.delete()
    totals.delete()
    by_month = (
        days.annotate(month=TruncMonth("day"))
        .values_list("month", "category_id", "organization_id", "metric", "key")
        .annotate(n=Sum("count"))
        .order_by()
    )
    by_day = days.values_list("day", "metric").annotate(n=Sum("count")).order_by()
    _insert(DayTotal, TOTAL_FIELDS, by_day.iterator(chunk_size=INSERT_BATCH))
    return _insert(MonthlyCount, MONTH_FIELDS, by_month.iterator(chunk_size=INSERT_BATCH))


def _insert(model, fields, rows):
    """Write rows (tuples in the order of `fields`): COPY on PostgreSQL (a full rebuild writes millions
    of rows), else bulk_create. Returns the number of rows."""
    if connection.vendor == "postgresql":
        return _copy(model, fields, rows)
    attnames = [model._meta.get_field(name).attname for name in fields]
    objects = (model(**dict(zip(attnames, row, strict=True))) for row in rows)
    written = 0
    while batch := list(islice(objects, INSERT_BATCH)):
        model.objects.bulk_create(batch)
        written += len(batch)
    return written


def _copy(model, fields, rows):
    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    # Materialised first: a COPY holds the connection, so the rows cannot be read from it meanwhile.
    rows = list(rows)
    with connection.cursor() as cursor, cursor.connection.cursor().copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def refresh_recent(*, now=None):
    """The scheduled refresh: everything since the previous run started (minus a safety margin), or a
    full rebuild the first time."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.started_at is None:
        return refresh_rollups(now=now)
    return refresh_rollups(since=state.started_at - SAFETY_MARGIN, now=now)
