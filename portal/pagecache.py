"""Shared fragments of the public pages (issue 14): rendered once, reused until an event changes them.

What is cached is the same for every visitor: the topic tree of the home page, the body of a public
list page (filters, rows, pager), the public parts of a message page (text, facts, photos, answers,
public timeline). The header, flash messages, the support box and everything only the author sees are
rendered for each request and never stored.

Fragments live in the "pages" cache of each process (settings.CACHES) under keys that carry version
numbers kept in the shared "default" cache:
- `public`: bumped after any commit that saves a message, writes a public event or a support;
- `reference`: bumped when a topic, category or organisation changes (names on every public page).
An event bumps a version; every process reads the versions on each request (one cache read), so a
fragment rendered before the event is never found again and ages out of its process.

Whole pages for plain guests (zarechny/guestpages.py: no cookie but the CSRF one, so no session, no
flash message, no support token) are kept in the shared cache itself, under a key without versions whose
value carries the versions it was rendered at (`page_lookup`, `page_store`): the versions and the page are
then read together, one round trip to the shared cache for the whole page. Such a page holds only what
every plain guest sees; a form's CSRF token is stored as a placeholder and put in per request.

When the shared cache cannot answer (Redis down: zarechny/cache.py fails open), there is no version,
and the pages render without caching ("nocache") rather than risk a stale one.
"""

import uuid

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save

PUBLIC = "public"
REFERENCE = "reference"
_KEYS = {PUBLIC: "portal:version:public", REFERENCE: "portal:version:reference"}
FRAGMENTS = "pages"
NO_CACHE = "nocache"


def _new_version() -> str:
    return uuid.uuid4().hex[:12]


def versions(*scopes: str) -> str | None:
    """The current versions of `scopes` as one string for a fragment key; None if unknown."""
    shared = caches["default"]
    keys = [_KEYS[scope] for scope in scopes]
    found = shared.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        # First use (or the key was evicted): every process agrees on whichever value lands first.
        for key in missing:
            shared.add(key, _new_version(), timeout=None)
        found = shared.get_many(keys)
        if len(found) < len(keys):
            return None  # the shared cache does not answer: render without caching
    return "-".join(str(found[key]) for key in keys)


def fragment_cache(version: str | None) -> str:
    """The cache alias a `{% cache … using=… %}` tag should use for a fragment keyed by `version`."""
    return FRAGMENTS if version else NO_CACHE


# How long a whole guest page stays in the shared cache without being asked for: it bounds the memory
# pages take there (only the pages guests read in this time), not their freshness (the versions do).
PAGE_SECONDS = 600


def page_lookup(key: str, *scopes: str, stamp: str = "") -> tuple[str | None, bytes | None]:
    """The current versions of `scopes` (with `stamp`, e.g. the day, appended) and the page kept under
    `key` if it was rendered at exactly those versions — both in one read of the shared cache.
    (None, None) when the shared cache does not answer: render without keeping anything."""
    shared = caches["default"]
    names = [_KEYS[scope] for scope in scopes]
    found = shared.get_many([key, *names])
    current: str | None
    if all(name in found for name in names):
        current = "-".join(str(found[name]) for name in names)
    else:
        current = versions(*scopes)
        if current is None:
            return None, None
    version = f"{current}|{stamp}"
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return version, entry[1]
    return version, None


def page_store(key: str, version: str, content: bytes) -> None:
    caches["default"].set(key, (version, content), PAGE_SECONDS)


def _new_public_version() -> None:
    caches["default"].set(_KEYS[PUBLIC], _new_version(), timeout=None)


def _new_reference_version() -> None:
    caches["default"].set(_KEYS[REFERENCE], _new_version(), timeout=None)


_SETTERS = {PUBLIC: _new_public_version, REFERENCE: _new_reference_version}


def bump(scope: str) -> None:
    """Make every fragment keyed by `scope` stale, once the current transaction commits.

    After the commit, not before: a request between the two would otherwise render the old rows under
    the new version and keep them."""
    transaction.on_commit(_SETTERS[scope])


def _bump_public_on_save(sender, instance, **kwargs):
    from messages.models import PUBLIC_STATES, Message, MessageEvent

    if sender is MessageEvent and not instance.is_public:
        return  # reminders, escalations, moderation: nothing public changed
    if sender is Message and instance.state not in PUBLIC_STATES:
        return  # submitted, rejected, withdrawn: on no public page
    bump(PUBLIC)


def _bump_public(sender, instance, **kwargs):
    bump(PUBLIC)


# What of an account the public pages show: the author's name, if they chose to show it.
_AUTHOR_FIELDS = {"full_name", "show_name_publicly", "is_active"}


def _bump_public_on_author_change(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and not _AUTHOR_FIELDS & set(update_fields):
        return  # a login (last_login), a password: nothing public
    bump(PUBLIC)


def _bump_reference(sender, instance, **kwargs):
    bump(REFERENCE)


def connect_signals() -> None:
    """Hook the versions to the saves that change public pages (called from PortalConfig.ready)."""
    from accounts.models import User
    from directory.models import Category, Organization, Topic
    from messages.models import Message, MessageEvent, Support

    # Every transition saves its message and writes an event; a support changes the count by an
    # UPDATE that sends no signal, but its Support row does.
    for model in (Message, MessageEvent, Support):
        post_save.connect(
            _bump_public_on_save, sender=model, dispatch_uid=f"pagecache-public-save-{model.__name__}"
        )
        post_delete.connect(_bump_public, sender=model, dispatch_uid=f"pagecache-public-del-{model.__name__}")
    # A guest's copy of a message carries its author's public name (portal.views).
    post_save.connect(_bump_public_on_author_change, sender=User, dispatch_uid="pagecache-public-author")
    for reference in (Topic, Category, Organization):
        post_save.connect(
            _bump_reference, sender=reference, dispatch_uid=f"pagecache-ref-save-{reference.__name__}"
        )
        post_delete.connect(
            _bump_reference, sender=reference, dispatch_uid=f"pagecache-ref-del-{reference.__name__}"
        )
