"""Rate limits that hold (issue 11, item 6): one mechanism in messages/ratelimits.py, counted in a cache
shared by every process, failing open when the cache is down."""

import importlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import RequestFactory
from django.utils import timezone
from django.utils.module_loading import import_string

from messages import ratelimits
from messages.models import Answer, Message, Support
from tests.factories import UserFactory, registered
from tests.portal.test_views_submit import form_data, jpeg

pytestmark = pytest.mark.django_db
SUBMIT_URL = "/submit/"
REFUSAL = re.compile(r"Попробуйте снова после (\d\d):(\d\d)")
CACHE_TABLE = importlib.import_module("zarechny.migrations.0001_cache_table").CACHE_TABLE
DOWN_REDIS = {
    "default": {"BACKEND": "zarechny.cache.FailOpenRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def settings_in_a_fresh_process(**environ):
    """The shared cache's settings (CACHES["default"]) a web process would start with, in a process of
    its own (no test overrides, no REDIS_URL of this run)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PYTEST_CURRENT_TEST")}
    env.update(environ, DJANGO_SETTINGS_MODULE="zarechny.settings", DEBUG="1")  # a web process of the demo
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES['default']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


# --- the cache all processes share --------------------------------------------------------------


def test_default_cache_is_the_database_cache_shared_by_all_processes():
    """The default (no REDIS_URL), as a web process starts with it, whatever cache this run uses."""
    default = settings_in_a_fresh_process()
    assert default["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    database_cache = import_string(default["BACKEND"])(default["LOCATION"], default)
    # Far above Django's 300: culling would drop live counters, i.e. reset the limits.
    assert database_cache._max_entries >= 10_000
    # The table comes from a migration, so the test database (and every `migrate`) has it, REDIS_URL or not.
    table = default["LOCATION"]
    assert table in connection.introspection.table_names()
    database_cache.set("shared-probe", 7)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        assert cursor.fetchone()[0] >= 1


def test_this_run_counts_in_the_shared_cache_its_environment_names():
    """Redis with REDIS_URL (as in production), else the database cache: the same choice as a process
    started without the tests."""
    default = django_settings.CACHES["default"]
    if django_settings.REDIS_URL:
        assert (default["BACKEND"], default["LOCATION"]) == (
            "zarechny.cache.FailOpenRedisCache",
            django_settings.REDIS_URL,
        )
    else:
        assert (default["BACKEND"], default["LOCATION"]) == (
            "django.core.cache.backends.db.DatabaseCache",
            CACHE_TABLE,
        )
    cache.set("shared-probe", 7)
    # another connection to the same cache, as another process would make, finds it
    assert caches.create_connection("default").get("shared-probe") == 7


def test_with_redis_the_cache_fails_open():
    backend = settings_in_a_fresh_process(REDIS_URL="redis://127.0.0.1:6379/5")["BACKEND"]
    assert backend == "zarechny.cache.FailOpenRedisCache"


# --- submitting -----------------------------------------------------------------------------------


def _retry_moment(body):
    match = REFUSAL.search(body)
    assert match, body
    return int(match[1]), int(match[2])


def test_submission_over_the_limit_is_refused_with_the_time_and_keeps_the_form(
    client, citizen, category, settings
):
    settings.RATE_LIMIT_SUBMIT = "2/1h/user"
    client.force_login(citizen)
    started = time.time()
    for _ in range(2):
        assert client.post(SUBMIT_URL, form_data()).status_code == 302
    response = client.post(
        SUBMIT_URL, form_data(text="Третий текст про яму", address="ул. Мира, 3", photos=[jpeg()])
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "Слишком много сообщений за короткое время." in body
    # The first hit leaves the window an hour after it was made; the time is rounded up to the minute.
    hour, minute = _retry_moment(body)
    earliest = timezone.localtime(datetime.fromtimestamp(started, tz=timezone.get_current_timezone()))
    earliest += timedelta(hours=1)
    candidates = {
        ((earliest + timedelta(minutes=extra)).hour, (earliest + timedelta(minutes=extra)).minute)
        for extra in (0, 1, 2)
    }
    assert (hour, minute) in candidates
    assert "Третий текст про яму" in body and "ул. Мира, 3" in body
    assert Message.objects.filter(author=citizen).count() == 2


def test_per_address_limit_counts_every_account_behind_it(client, citizen, other_citizen, category, settings):
    settings.RATE_LIMIT_SUBMIT = "1/1h/ip"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client.force_login(citizen)
    assert client.post(SUBMIT_URL, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302
    client.force_login(other_citizen)
    assert client.post(SUBMIT_URL, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert client.post(SUBMIT_URL, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    assert Message.objects.count() == 2


def test_a_form_refused_for_a_mistake_costs_no_attempt(client, citizen, category, settings):
    settings.RATE_LIMIT_SUBMIT = "1/1h/user"
    client.force_login(citizen)
    assert client.post(SUBMIT_URL, form_data(address="")).status_code == 200
    bad_photo = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    assert client.post(SUBMIT_URL, form_data(photos=[bad_photo])).status_code == 200
    assert client.post(SUBMIT_URL, form_data()).status_code == 302


def test_default_limits(settings):
    assert ratelimits.rules(ratelimits.SUBMIT) == [
        ratelimits.Rate(10, 3600, "user"),
        ratelimits.Rate(30, 86400, "user"),
        ratelimits.Rate(30, 3600, "ip"),
    ]
    for action in (ratelimits.ANSWER_ATTACHMENTS, ratelimits.SUPPORT, ratelimits.GUEST_SUPPORT):
        assert ratelimits.rules(action), action


def test_bad_rule_stops_start_up(settings):
    settings.RATE_LIMIT_SUBMIT = "10/1w/user"
    with pytest.raises(ImproperlyConfigured, match=r"RATE_LIMIT_SUBMIT.*10/1w/user"):
        ratelimits.check_settings()


def test_refusal_on_another_day_names_the_date():
    tomorrow = timezone.now() + timedelta(days=1)
    text = str(ratelimits.RateLimited(ratelimits.SUBMIT, tomorrow))
    assert f"{timezone.localtime(tomorrow):%d.%m.%Y}" in text


def test_daily_limit_holds_when_the_hourly_one_has_room(rf, citizen, settings):
    settings.RATE_LIMIT_SUBMIT = "5/1h/user,2/1d/user"
    request = rf.post("/submit/")
    request.user = citizen
    ratelimits.consume(request, ratelimits.SUBMIT)
    ratelimits.consume(request, ratelimits.SUBMIT)
    with pytest.raises(ratelimits.RateLimited) as refused:
        ratelimits.consume(request, ratelimits.SUBMIT)
    # A day from the first hit, not an hour.
    assert refused.value.retry_at > timezone.now() + timedelta(hours=23)


# --- answers with attachments and supports --------------------------------------------------------


def test_answers_with_attachments_are_limited_per_official(
    client, citizen, category, moderator, executor, settings
):
    settings.RATE_LIMIT_ANSWER_ATTACHMENTS = "1/1h/user"
    first, second, third = (registered(citizen, category, moderator) for _ in range(3))
    client.force_login(executor)

    def answer(message, **files):
        return client.post(
            f"/office/m/{message.number}/answer/", {"kind": "solved", "text": "Сделано.", **files}
        )

    assert answer(first, attachments=[jpeg()]).status_code == 302
    refused = answer(second, attachments=[jpeg()])
    assert refused.status_code == 429
    assert "Слишком много ответов с вложениями" in refused.content.decode()
    assert not Answer.objects.filter(message=second).exists()
    # An answer without attachments costs no image processing and is not limited.
    assert answer(third).status_code == 302


def test_supports_of_a_signed_in_person_are_limited(
    client, citizen, other_citizen, category, moderator, settings
):
    settings.RATE_LIMIT_SUPPORT = "1/1h/user"
    first, second = registered(citizen, category, moderator), registered(citizen, category, moderator)
    client.force_login(other_citizen)
    client.post(f"/m/{first.number}/support/")
    body = client.post(f"/m/{second.number}/support/", follow=True).content.decode()
    assert "Слишком много поддержек за короткое время" in body
    assert Support.objects.filter(user=other_citizen).count() == 1


def test_guest_supports_are_limited_per_address(client, citizen, category, moderator, settings):
    settings.RATE_LIMIT_SUPPORT = "2/1h/ip"
    settings.RATE_LIMIT_GUEST_SUPPORT = "100/1h/ip"
    messages = [registered(citizen, category, moderator) for _ in range(3)]
    for message in messages:
        client.post(f"/m/{message.number}/support/")
    assert Support.objects.filter(guest_token__isnull=False).count() == 2


# --- Redis configured but down: the site keeps working -------------------------------------------


def test_with_redis_down_accounts_and_supports_keep_working(client, citizen, category, moderator, settings):
    settings.CACHES = DOWN_REDIS
    message = registered(citizen, category, moderator)
    citizen.set_password("correct-horse-battery")
    citizen.save()
    assert client.post("/accounts/login/", {"login": citizen.email, "password": "wrong"}).status_code == 200
    response = client.post("/accounts/login/", {"login": citizen.email, "password": "correct-horse-battery"})
    assert response.status_code == 302
    client.logout()
    signup = {
        "email": "nina@example.ru",
        "password1": "Sekretnyi-parol-42",
        "password2": "Sekretnyi-parol-42",
        "personal_data_consent": "on",
    }
    assert client.post("/accounts/signup/", signup).status_code == 302
    client.logout()
    assert client.post("/accounts/password/reset/", {"email": citizen.email}).status_code == 302
    assert client.post(f"/m/{message.number}/support/").status_code == 302
    assert Support.objects.filter(message=message, guest_token__isnull=False).count() == 1


def test_with_redis_down_a_submission_goes_through(client, citizen, category, settings):
    settings.CACHES = DOWN_REDIS
    settings.RATE_LIMIT_SUBMIT = "1/1h/user"
    client.force_login(citizen)
    assert client.post(SUBMIT_URL, form_data()).status_code == 302
    assert Message.objects.filter(author=citizen).count() == 1


# --- the limit holds across processes (each thread has its own database connection) ---------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel connections need PostgreSQL")
def test_parallel_requests_cannot_share_the_last_slot(settings):
    settings.RATE_LIMIT_SUBMIT = "3/1h/user"
    person = UserFactory()
    barrier = threading.Barrier(8)
    outcomes = []

    def worker():
        request = RequestFactory().post("/submit/")
        request.user = person
        try:
            barrier.wait(timeout=30)
            ratelimits.consume(request, ratelimits.SUBMIT)
            outcomes.append("ok")
        except ratelimits.RateLimited:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
