"""Sessions read from the shared cache, written to the database as well (issue 14): with REDIS_URL the
session engine (settings.SESSION_ENGINE).

Every request of a logged-in person read its session row from PostgreSQL: a quarter of a warm staff
page's queries. Django's `cached_db` engine reads the session from the cache and falls back to the
database on a miss; every write goes to the database first, then to the cache; logout and a new key at
login or a password change delete the old key from both. The cache is Redis, shared by every node, so a
session changed or deleted on one node is seen by all. Without Redis the shared cache is a database
table, which would replace one query by another: the settings keep the plain database engine then.

One difference from Django's engine: a cached copy lives at most SESSION_CACHE_SECONDS, not the whole
session age. The shared cache fails open (zarechny/cache.py): if Redis is unreachable at the moment of
a logout, the database row is deleted but the cached copy cannot be, and a Redis that comes back with
its data would serve it again — for at most this long, not for the two weeks a session may live.
"""

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore


class _CappedCache:
    """The session cache with every timeout cut to SESSION_CACHE_SECONDS; the rest is the cache's."""

    def __init__(self, cache, seconds):
        self._cache = cache
        self._seconds = seconds

    def _timeout(self, timeout):
        return self._seconds if timeout is None else min(timeout, self._seconds)

    def set(self, key, value, timeout):
        return self._cache.set(key, value, self._timeout(timeout))

    async def aset(self, key, value, timeout):
        return await self._cache.aset(key, value, self._timeout(timeout))

    def __contains__(self, key):
        return key in self._cache

    def __getattr__(self, name):
        return getattr(self._cache, name)


class SessionStore(CachedDbSessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _CappedCache(self._cache, settings.SESSION_CACHE_SECONDS)
