"""The shared cache with Redis (zarechny/cache.py) and the sessions kept in it (zarechny/sessions.py), on a
real Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379/7, a database the tests may clear); skipped
when no Redis answers there."""

import os

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.urls import reverse

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def _redis_answers():
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not _redis_answers(), reason=f"no Redis at {REDIS_URL}"),
]


@pytest.fixture
def redis_cache(settings):
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "redis": {"BACKEND": "zarechny.cache.FailOpenRedisCache", "LOCATION": REDIS_URL},
    }
    cache = caches["redis"]
    cache.clear()
    yield cache
    cache.clear()


def test_one_redis_client_serves_every_operation(redis_cache):
    """Django made a `redis.Redis` (and its ~300 response callbacks) per operation (issue 14)."""
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client(write=True) is client
    redis_cache.set("a", 1)
    assert redis_cache.get("a") == 1
    assert redis_cache.incr("a") == 2
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    assert redis_cache._cache.get_client() is client


def test_sessions_in_redis_end_at_logout(client, citizen, redis_cache, settings):
    settings.SESSION_ENGINE = "zarechny.sessions"
    settings.SESSION_CACHE_ALIAS = "redis"
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    client.post(reverse("account_login"), {"login": citizen.email, "password": "secret-pass-123"})
    key = client.cookies["sessionid"].value
    stored = redis_cache.make_and_validate_key(f"django.contrib.sessions.cached_db{key}")
    assert 0 < redis_cache._cache.get_client().ttl(stored) <= settings.SESSION_CACHE_SECONDS
    assert client.get(reverse("portal:cabinet")).status_code == 200
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert redis_cache.get(f"django.contrib.sessions.cached_db{key}") is None
    client.cookies["sessionid"] = key
    assert client.get(reverse("portal:cabinet")).status_code == 302
