"""Two-factor authentication for staff (issue 11, item 5): with STAFF_REQUIRE_MFA a staff member enrols an
authenticator app before /office/ or /admin/ open; allauth then asks for its code after the password."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core.cache import cache, caches
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"
ENROL = reverse("mfa_activate_totp")


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_REQUIRE_MFA = True
    cache.clear()  # login-failure and used-code counters of other tests
    yield
    cache.clear()


@pytest.fixture
def frozen():
    """TOTP codes change every 30 s; a frozen clock keeps the code computed by the test valid."""
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, 5, tzinfo=UTC), tick=False):
        yield


def _login(client, user):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _open_enrolment(client):
    """allauth asks for the password once more before an authenticator is added (a stolen session alone
    must not enrol the thief's phone); then the enrolment page opens."""
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"]).content.decode()
    assert "открываются только после подключения двухфакторной аутентификации" in page  # the why, once
    assert "Подтвердите, что это вы" in page
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == ENROL
    return client.get(ENROL)


def _code(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_staff_without_an_authenticator_is_sent_to_enrolment(client, moderator, admin_user, mfa_required):
    for person, guarded in ((moderator, "/office/"), (admin_user, "/admin/")):
        _login(client, person)
        response = client.get(guarded)
        assert response.status_code == 302 and response["Location"] == ENROL, guarded
        page = _open_enrolment(client)
        body = page.content.decode()
        assert page.status_code == 200
        assert "Подключение приложения-аутентификатора" in body and 'name="code"' in body
        client.logout()


def test_after_enrolment_and_a_login_with_the_code_the_office_opens(client, moderator, mfa_required, frozen):
    _login(client, moderator)
    assert client.get("/office/")["Location"] == ENROL
    secret = _open_enrolment(client).context["form"].secret
    response = client.post(ENROL, {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert response.status_code == 200 and 'id="id_code_error"' in response.content.decode()
    response = client.post(ENROL, {"code": _code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(response["Location"]).content.decode()
    assert "Резервные коды" in codes_page and 'id="recovery_codes"' in codes_page
    assert client.get("/office/").status_code == 200

    client.logout()
    response = _login(client, moderator)
    assert response["Location"] == reverse("mfa_authenticate")  # the password alone is not enough
    assert "Код подтверждения" in client.get(response["Location"]).content.decode()
    assert client.get("/office/").status_code == 302  # not logged in before the code
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response["Location"] == "/office/"
    assert client.get("/office/").status_code == 200


def test_a_citizen_is_never_asked(client, citizen, mfa_required):
    assert _login(client, citizen)["Location"] == "/cabinet/"
    assert client.get("/cabinet/").status_code == 200
    assert client.get("/office/").status_code == 403  # not theirs; no enrolment page
    assert client.get(reverse("mfa_index")).status_code == 200  # they may still enrol of their own accord


def test_with_the_setting_off_nothing_changes(client, moderator, settings):
    settings.STAFF_REQUIRE_MFA = False
    _login(client, moderator)
    assert client.get("/office/").status_code == 200


def test_mfa_pages_are_russian(client, moderator):
    client.force_login(moderator)
    page = client.get(reverse("mfa_index")).content.decode()
    assert "Двухфакторная аутентификация" in page and "Приложение-аутентификатор" in page
    assert "Two-Factor" not in page


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "city.example"}, "True"),
        ({"DEBUG": "1"}, "False"),  # the demo (make run) keeps working with passwords alone
        ({"DEBUG": "1", "STAFF_REQUIRE_MFA": "1"}, "True"),
        (
            {"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "city.example", "STAFF_REQUIRE_MFA": "0"},
            "False",
        ),
    ],
)
def test_staff_require_mfa_defaults_to_on_in_production(environment, expected):
    ours = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "TESTING", "STAFF_REQUIRE_MFA"}
    keep = {k: v for k, v in os.environ.items() if k not in ours}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.STAFF_REQUIRE_MFA)",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**keep, **environment, "DJANGO_SETTINGS_MODULE": "zarechny.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def _enrolled(user):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": generate_totp_secret()}
    )


def test_staff_statistics_wait_for_enrolment_too(client, moderator, mfa_required):
    client.force_login(moderator)
    for url in (
        "/office/stats/",
        "/office/stats/messages/?metric=received&year=2026",
        "/office/stats/summary.csv?year=2026",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == ENROL, url
    _enrolled(moderator)
    assert client.get("/office/stats/").status_code == 200


def test_a_private_message_and_its_photos_wait_for_enrolment(
    client, citizen, category, moderator, mfa_required
):
    from messages.models import Photo
    from tests.factories import processed_photos, submit

    message = submit(citizen, category, photos=processed_photos(1))  # on moderation: not public
    photo = Photo.objects.get(message=message)
    urls = [
        f"/m/{message.number}/",
        f"/m/{message.number}/photo/{photo.token}/",
        f"/m/{message.number}/photo/{photo.token}/thumb/",
    ]
    client.force_login(moderator)
    for url in urls:
        assert client.get(url).status_code == 404, url  # the password alone shows nothing private
    _enrolled(moderator)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:  # a photo: read to the end, which closes the file
            # (not response.close(): it sends request_finished, which closes the test's connection)
            b"".join(response.streaming_content)


@pytest.mark.parametrize("rows", [2, 20])
def test_the_guard_costs_one_query_per_request(
    client, moderator, category, citizen, mfa_required, rows, django_assert_num_queries
):
    """The enrolment check is asked by the middleware and again by the staff view: whether the official
    has an authenticator is read with the official and its organisation, in one query (issue 14; it was
    a query of its own)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.factories import submit
    from tests.sharedcache import shared_reads

    for i in range(rows):
        submit(citizen, category, text=f"Яма {i}")
    TOTP.activate(moderator, generate_totp_secret())
    client.force_login(moderator)
    assert client.get("/office/").status_code == 200  # the office version exists from here on
    caches["pages"].clear()  # nothing kept per official (moderation/officecache.py)
    # session, user, official + organisation + has an authenticator, the office version (the session and
    # the version: one read each of the tests' database cache, none with Redis); the home's three counts,
    # the rating remarks waiting (§7.2) and whether the moderator answers in any category (Appendix 2)
    with django_assert_num_queries(7 + shared_reads()):
        assert client.get("/office/").status_code == 200


def test_only_an_authenticator_app_counts_and_its_removal_takes_effect_at_once(
    client, moderator, mfa_required
):
    """The guard's own SQL for "has an authenticator app" (zarechny/staff_mfa.py) keeps allauth's rule:
    recovery codes alone are no second factor; and it is read on every request, so a removed app shuts
    the office at once, kept pages or not (moderation/officecache.py)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    Authenticator.objects.create(user=moderator, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    client.force_login(moderator)
    assert client.get("/office/")["Location"] == ENROL
    TOTP.activate(moderator, generate_totp_secret())
    for _ in range(2):  # the second one is a kept page
        assert client.get("/office/").status_code == 200
    Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).delete()
    assert client.get("/office/")["Location"] == ENROL
