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

Whole pages (`kept_page`): the office home, the queues and the review page are kept as rendered, per
official (with the role and organisation its guard read), per path and query string, per office
version and per minute (their deadlines), in the same process cache. The lookup runs inside the view,
after `official_required` (login, an active account, the official's row, the second factor) ran for
this request: a kept page is never a way round a guard. The page holds only what this official sees at this minute; the one per-request part, the CSRF token of its
forms (the logout button, the decision forms), is kept as a placeholder and put in per request
(zarechny/guestpages.py). A request with flash messages pending renders them, and its page is neither
served from nor kept; so is a page that is not a plain 200 or that sets a cookie. What the pages show
beyond the version's rows — names of accounts (the header, the authors, the actors of the history),
photos, answers and their files, the working calendar — bumps the version as well (`connect_signals`).
"""

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone

from zarechny import guestpages

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


# A query string longer than any the pages' own links and filters make is rendered, not kept: the
# process cache holds pages by count, and one official's typing should not fill it.
PAGE_QUERY_LIMIT = 200
KEEPING = "_office_keeping_page"


def kept_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A staff view (under `official_required`) whose GET/HEAD page is kept per official, path and query
    string, office version and minute. The view renders its forms' CSRF token as `csrf_token(request)`."""

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        page_key = _page_key(request)
        if page_key is None:
            return view(request, *args, **kwargs)
        store = caches[STORE]
        content = store.get(page_key)
        if content is not None:
            return HttpResponse(guestpages.with_csrf_token(request, content))
        setattr(request, KEEPING, True)
        response = view(request, *args, **kwargs)
        if getattr(response, "streaming", False):
            return response
        if response.status_code == 200 and not response.cookies:
            store.set(page_key, response.content, CLOCK_SECONDS)
        response.content = guestpages.with_csrf_token(request, response.content)
        return response

    return wrapped


def _page_key(request: Any) -> str | None:
    if request.method not in ("GET", "HEAD"):
        return None
    query = request.META.get("QUERY_STRING", "")
    if len(query) > PAGE_QUERY_LIMIT or len(get_messages(request)):
        # flash messages are this request's: counting them loads them without marking them read
        return None
    # What the guards read this request and the pages depend on is in the key as well: a role or an
    # organisation changed without a signal (a queryset update) never serves a page of the old rights.
    official = request.official
    rights = (
        f"{official.role}:{official.organization_id}:{official.controls_platform}:{request.user.is_staff}"
    )
    where = hashlib.sha256(f"{rights}|{request.path}?{query}".encode()).hexdigest()[:24]
    kept = key(request, f"page:{where}")
    return None if kept is None else f"{kept}:{timezone.now():%Y%m%d%H%M}"


def csrf_token(request: Any) -> Any:
    """What a kept page's forms carry for the CSRF token: the placeholder while `kept_page` renders the
    page to keep it, else None (the template's own token)."""
    return guestpages.csrf_placeholder() if getattr(request, KEEPING, False) else None


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


# What of an account the staff pages show: names (the header, a message's author, the history's actors,
# an answer's official), the e-mail a name falls back to, and the admin link of staff accounts.
_ACCOUNT_FIELDS = {"full_name", "email", "is_staff"}


def _bump_on_account(sender, instance, created=False, update_fields=None, **kwargs):
    if created:
        return  # a new account is on no staff page before it writes something
    if update_fields is not None and not _ACCOUNT_FIELDS & set(update_fields):
        return  # a login (last_login), a password: nothing shown
    bump()


def connect_signals() -> None:
    """Hook the office version to the saves that change a kept value, a kept page or a scope
    (ModerationConfig.ready)."""
    from accounts.models import User
    from directory.models import CalendarOverride, Category, Official, Organization, RejectionReason, Topic
    from messages.models import (
        Answer,
        AnswerAttachment,
        AnswerDocument,
        Message,
        MessageEvent,
        Photo,
        Rating,
    )

    for model in (
        Message,
        MessageEvent,
        Rating,
        Official,
        Topic,
        Category,
        Organization,
        RejectionReason,
        # the review page's message: its photos, its answers with their files; the overdue board's
        # working days late
        Photo,
        Answer,
        AnswerAttachment,
        AnswerDocument,
        CalendarOverride,
    ):
        post_save.connect(_bump, sender=model, dispatch_uid=f"officecache-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"officecache-del-{model.__name__}")
    post_save.connect(_bump_on_account, sender=User, dispatch_uid="officecache-save-User")
    # a deleted account leaves its messages «учётная запись удалена» (SET_NULL sends no save signal)
    post_delete.connect(_bump, sender=User, dispatch_uid="officecache-del-User")
    m2m_changed.connect(
        _bump_on_categories, sender=Official.categories.through, dispatch_uid="officecache-categories"
    )
    # the organisations a category is routed to: the review page's register form offers them
    m2m_changed.connect(
        _bump_on_categories,
        sender=Category.participating_organizations.through,
        dispatch_uid="officecache-participating",
    )
