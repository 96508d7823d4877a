"""What the back-office keeps briefly per official (issue 14): the office home's tiles and the queues'
«Всего: N» (3–5 COUNT queries on every visit), the moderation queue's filter form (a select rendered
through Django's widget templates cost more than the whole table of rows) and the review page's
duplicate hints, the author's earlier messages (up to 300 of the category's messages scored) and the
fields of its unbound register form (moderation/templatetags/office.py, `fragment_key`).

A value is stored in the process's memory (the "pages" cache of settings.CACHES) under a key that
carries the official's id — no other official's request can ever read it — and the office version,
kept in the shared cache (as portal/pagecache.py keeps the public pages' versions) and read once per
request. The version is bumped after the commit of anything that can change a kept value or a scope: a
message, one of its events or a rating saved or deleted, an official or an official's categories, a
topic, category (or its organisations), organisation or rejection reason (names and choices). So a decision taken by one
official shows at once in the queues and counts of every official who sees the message.

What depends on the clock alone (a deadline passing while nothing is saved: «Просрочено», «Срок
сегодня») is keyed by the minute as well, so it is at most a minute late. When the shared cache does not
answer (Redis down: zarechny/cache.py fails open) there is no version and nothing is kept.
"""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")
VERSION_KEY = "office:version"
STORE = "pages"
COUNT_SECONDS = 300
CLOCK_SECONDS = 60


def key(request: Any, name: str) -> str | None:
    """The key of a value kept for the official of `request`; None when nothing may be kept."""
    version = _versions(request)
    return None if version is None else f"office:{request.official.pk}:{name}:{version}"


def _versions(request: Any) -> str | None:
    """The office version, read once per request (one round trip to the shared cache); None if the
    shared cache does not answer."""
    if not hasattr(request, "_office_version"):
        shared = caches["default"]
        version = shared.get(VERSION_KEY)
        if version is None:  # first use, or evicted: every process agrees on whichever lands first
            shared.add(VERSION_KEY, uuid.uuid4().hex[:12], timeout=None)
            version = shared.get(VERSION_KEY)
        request._office_version = version
    return request._office_version


def cached(request: Any, name: str, compute: Callable[[], T], *, minute: datetime | None = None) -> T:
    """`compute()` for the official of `request`, reused until the office version changes (and, with
    `minute`, until the minute of `minute` ends)."""
    kept = key(request, name)
    if kept is None:
        return compute()
    if minute is not None:
        kept += f":{minute:%Y%m%d%H%M}"
    store = caches[STORE]
    found = store.get(kept)
    if found is None:
        found = compute()
        store.set(kept, found, CLOCK_SECONDS if minute is not None else COUNT_SECONDS)
    return found


def _new_version() -> None:
    caches["default"].set(VERSION_KEY, uuid.uuid4().hex[:12], timeout=None)


def bump() -> None:
    """Make every kept value stale once the current transaction commits (not before: a request between
    the two would keep the old rows under the new version)."""
    transaction.on_commit(_new_version)


def _bump(sender, **kwargs):
    bump()


def _bump_on_categories(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        bump()


def connect_signals() -> None:
    """Hook the office version to the saves that change a kept value or a scope (ModerationConfig.ready)."""
    from directory.models import Category, Official, Organization, RejectionReason, Topic
    from messages.models import Message, MessageEvent, Rating

    for model in (Message, MessageEvent, Rating, Official, Topic, Category, Organization, RejectionReason):
        post_save.connect(_bump, sender=model, dispatch_uid=f"officecache-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"officecache-del-{model.__name__}")
    m2m_changed.connect(
        _bump_on_categories, sender=Official.categories.through, dispatch_uid="officecache-categories"
    )
    # the organisations a category is routed to: the review page's register form offers them
    m2m_changed.connect(
        _bump_on_categories,
        sender=Category.participating_organizations.through,
        dispatch_uid="officecache-participating",
    )
