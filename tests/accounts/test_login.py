"""One login for everyone (issue 11, item 4): /admin/login/ is the site's login, with allauth's limits."""

import pytest
from allauth.account import app_settings as account_settings
from allauth.account.models import EmailAddress
from django.core.cache import cache

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"
TOO_MANY = "Слишком много неудачных попыток входа"


@pytest.fixture
def fresh_limits():
    """allauth counts failures in the cache; other tests' logins must not count here, nor these there."""
    cache.clear()
    yield
    cache.clear()


def test_admin_login_sends_to_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/directory/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fdirectory%2F"


def test_guest_at_the_admin_ends_on_the_site_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert response.templates[0].name == "account/login.html"


def test_admin_login_keeps_next_on_this_site_only(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_admin_login_does_not_take_passwords(client, admin_user):
    """Django's own admin login form had no rate limit and no e-mail verification."""
    response = client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": PASSWORD})
    assert response.status_code == 405
    assert client.get("/admin/").status_code == 302


def test_admin_login_for_people_already_logged_in(client, citizen, admin_user):
    client.force_login(citizen)
    assert client.get("/admin/login/").status_code == 403  # no rights: refused, not a redirect loop
    client.force_login(admin_user)
    assert client.get("/admin/login/?next=/admin/directory/")["Location"] == "/admin/directory/"


def test_login_failures_are_limited_and_then_even_the_right_password_is_refused(
    client, admin_user, fresh_limits
):
    assert account_settings.RATE_LIMITS.get("login_failed")  # on: allauth's default, not switched off
    EmailAddress.objects.create(user=admin_user, email=admin_user.email, verified=True, primary=True)
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    refused_at = None
    for attempt in range(1, 21):
        body = client.post(login_url, {"login": admin_user.email, "password": "wrong"}).content.decode()
        if TOO_MANY in body:
            refused_at = attempt
            break
        assert "неверны" in body
    assert refused_at is not None and refused_at <= 6  # allauth: 5 failures per address in 5 minutes
    response = client.post(login_url, {"login": admin_user.email, "password": PASSWORD})
    assert response.status_code == 200 and TOO_MANY in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_every_spelling_of_an_address_meets_the_same_failure_counter(client, fresh_limits):
    """«ſ» folds to "s": five failures spread over "sam@…" and "ſam@…" are five failures of one address."""
    user = UserFactory(email="sam@example.ru")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for login in [
        "sam@example.ru",
        "SAM@example.ru",
        "\u017fam@example.ru",
        "\u017fam@example.ru",
        "sam@Example.RU",
    ]:
        body = client.post("/accounts/login/", {"login": login, "password": "wrong"}).content.decode()
        assert "неверны" in body
    response = client.post("/accounts/login/", {"login": "sam@example.ru", "password": PASSWORD})
    assert TOO_MANY in response.content.decode()


def test_the_admin_needs_a_confirmed_address_like_everyone(client, admin_user, fresh_limits):
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    response = client.post(login_url, {"login": admin_user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/confirm-email/"  # a confirmation link went out instead
    assert client.get("/admin/").status_code == 302
