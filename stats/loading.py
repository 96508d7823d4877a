"""Reading messages with their events in chunks, for the fact extraction of stats/facts.py."""

import json

from django.db import connection

from messages.models import Message, MessageEvent, Support

from .facts import FACT_EVENT_KINDS, MessageRow

# The events whose `data` the fact extraction reads (rejection reasons, answer kind).
DATA_KINDS = (MessageEvent.Kind.REJECTED, MessageEvent.Kind.ANSWERED)


def load_rows(message_ids, *, events_since=None):
    """MessageRows for `message_ids` (3 queries). Supports before `events_since` are not needed by callers
    that only count days from it, so they are skipped to keep old, much-supported messages cheap."""
    rows = {
        pk: MessageRow(id=pk, category_id=category_id, organization_id=organization_id)
        for pk, category_id, organization_id in Message.objects.filter(pk__in=message_ids)
        .order_by()
        .values_list("pk", "category_id", "executing_organization_id")
    }
    events = (
        MessageEvent.objects.filter(message_id__in=message_ids, kind__in=FACT_EVENT_KINDS)
        .order_by("message_id", "created_at", "id")
        # the decider's organisation, for the moderation figures per organisation (facts.MODERATED)
        .values_list("message_id", "kind", "created_at", "data", "actor__official__organization_id")
    )
    for message_id, kind, created_at, data, actor_organization_id in _fast_rows(events):
        rows[message_id].events.append((kind, created_at, data, actor_organization_id))
    supports = Support.objects.filter(message_id__in=message_ids)
    if events_since is not None:
        supports = supports.filter(created_at__gte=events_since)
    for message_id, created_at in supports.order_by().values_list("message_id", "created_at"):
        rows[message_id].support_times.append(created_at)
    return list(rows.values())


def _fast_rows(queryset):
    """The rows of a values_list queryset. On PostgreSQL the ORM's per-row converters are skipped (they
    cost more than the query on a full rebuild): timestamps come back aware from psycopg already, and the
    JSON `data` is decoded only for the events whose data the statistics read."""
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=10_000)
        return
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for message_id, kind, created_at, data, actor_organization_id in batch:
                if kind in DATA_KINDS and isinstance(data, str):
                    data = json.loads(data)
                yield message_id, kind, created_at, data, actor_organization_id


def chunks(ids, size):
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
