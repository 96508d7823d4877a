"""Sessions read from the shared cache with Redis (issue 14, zarechny/sessions.py): a query less per request
of anyone logged in, and every way a session ends still ends it on every node."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"


@pytest.fixture
def cached_sessions(settings):
    """The production engine with Redis; a process-local cache stands in for Redis here (the engine only
    needs a cache every node shares, which the scale-out test covers with a real Redis)."""
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions"},
    }
    settings.SESSION_ENGINE = "zarechny.sessions"
    settings.SESSION_CACHE_ALIAS = "sessions"
    caches["sessions"].clear()
    yield caches["sessions"]
    caches["sessions"].clear()


def _login(client, user):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _logged_in(client):
    return client.get(reverse("portal:cabinet")).status_code == 200


def test_a_logged_in_request_reads_no_session_row(client, citizen, cached_sessions):
    _login(client, citizen)
    assert _logged_in(client)
    with CaptureQueriesContext(connection) as captured:
        assert _logged_in(client)
    assert captured.captured_queries
    assert not [q for q in captured.captured_queries if "django_session" in q["sql"]]


def test_logout_ends_the_session_even_when_read_from_the_cache(client, citizen, cached_sessions):
    _login(client, citizen)
    assert _logged_in(client)
    stolen = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=stolen).exists()
    client.cookies["sessionid"] = stolen  # the cookie kept by someone else
    assert not _logged_in(client)


def test_a_password_change_ends_the_other_sessions(client, citizen, cached_sessions):
    from django.test import Client

    other = _login(Client(), citizen)
    assert _logged_in(other)
    _login(client, citizen)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-pass-456!", "password2": "another-pass-456!"},
    )
    assert response.status_code == 302
    assert _logged_in(client)  # the one who changed it stays in
    assert not _logged_in(other)


def test_a_blocked_or_deleted_account_is_out_at_once(client, citizen, cached_sessions):
    _login(client, citizen)
    assert _logged_in(client)
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])
    assert not _logged_in(client)
    citizen.is_active = True
    citizen.save(update_fields=["is_active"])
    _login(client, citizen)
    citizen.delete()
    assert not _logged_in(client)


def test_a_cached_copy_lives_at_most_session_cache_seconds(client, citizen, cached_sessions, settings):
    """A session deleted from the database while the cache could not be told (Redis unreachable at the
    logout: the shared cache fails open) is served from the cache no longer than SESSION_CACHE_SECONDS."""
    settings.SESSION_CACHE_SECONDS = 60
    with time_machine.travel("2026-11-30 09:00:00+00:00", tick=False) as clock:
        _login(client, citizen)
        Session.objects.all().delete()  # the database row gone, the cached copy left behind
        assert _logged_in(client)
        clock.shift(61)
        assert not _logged_in(client)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/7"}, "zarechny.sessions"),
        ({"REDIS_URL": ""}, "django.contrib.sessions.backends.db"),  # the shared cache is a table then
    ],
)
def test_the_engine_follows_redis(environment, expected):
    keep = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SESSION_ENGINE"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SESSION_ENGINE)",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**keep, **environment, "DJANGO_SETTINGS_MODULE": "zarechny.settings", "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
