"""Counts of the back-office kept briefly per official (issue 14): the office home's tiles and the queues'
«Всего: N» were 3–5 COUNT queries on every visit.

A count is stored in the process's memory (the "pages" cache of settings.CACHES) under a key that
carries the official's id — no other official's request can ever read it — and the `staff` version of
portal/pagecache.py, which every process reads from the shared cache once per request. The version is
bumped after the commit of anything that can change a count or a scope: a message or one of its events
saved or deleted, a rating (its remarks wait for review), an official or an official's categories. So a
decision taken by one official shows at once in the counts of every official who sees the message.

What depends on the clock alone (a deadline passing while nothing is saved: «Просрочено», «Срок
сегодня») is keyed by the minute as well, so it is at most a minute late. Without the shared cache
(Redis down) nothing is kept and every count is queried, as before.

Every key carries the `reference` version as well (names of categories and organisations). The
moderation queue's filter form is kept the same way (its choices are the official's own categories): rendering a select through Django's widget
templates cost more than the whole table of rows.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.core.cache import caches
from django.db.models.signals import m2m_changed, post_delete, post_save

from portal import pagecache

T = TypeVar("T")
COUNT_SECONDS = 300
CLOCK_SECONDS = 60


def _versions(request: Any) -> str | None:
    """The staff and reference versions, read once per request (one round trip to the shared cache)."""
    if not hasattr(request, "_office_versions"):
        request._office_versions = pagecache.versions(pagecache.STAFF, pagecache.REFERENCE)
    return request._office_versions


def cached(request: Any, name: str, compute: Callable[[], T], *, minute: datetime | None = None) -> T:
    """`compute()` for the official of `request`, reused until the staff or reference version changes
    (and, with `minute`, until the minute of `minute` ends)."""
    version = _versions(request)
    if version is None:
        return compute()
    key = f"office:{request.official.pk}:{name}:{version}"
    if minute is not None:
        key += f":{minute:%Y%m%d%H%M}"
    store = caches[pagecache.FRAGMENTS]
    found = store.get(key)
    if found is None:
        found = compute()
        store.set(key, found, CLOCK_SECONDS if minute is not None else COUNT_SECONDS)
    return found


def _bump(sender, **kwargs):
    pagecache.bump(pagecache.STAFF)


def _bump_on_categories(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        pagecache.bump(pagecache.STAFF)


def connect_signals() -> None:
    """Hook the staff version to the saves that change a count or a scope (ModerationConfig.ready)."""
    from directory.models import Official
    from messages.models import Message, MessageEvent, Rating

    for model in (Message, MessageEvent, Rating, Official):
        post_save.connect(_bump, sender=model, dispatch_uid=f"officecache-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"officecache-del-{model.__name__}")
    m2m_changed.connect(
        _bump_on_categories, sender=Official.categories.through, dispatch_uid="officecache-categories"
    )
