"""API clients (issue 16): registered in the admin with the key shown once, a citizen's permission given and
revoked in the cabinet with its history kept."""

import pytest
from django.test import Client

from accounts import selectors, services
from accounts.models import ApiClient, ApiClientConsent
from tests.api.conftest import verify


def test_the_admin_shows_the_key_once_and_stores_only_its_hash(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/accounts/apiclient/add/",
        {"name": "Мобильное приложение", "description": "", "is_active": "on", "rate_limit": "500/1h"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["key"]
    assert key in response.content.decode()
    client = ApiClient.objects.get()
    assert key not in (client.key_hash, client.key_prefix) and client.key_prefix == key[:8]
    assert selectors.api_client_by_key(key) == client
    change_page = browser.get(f"/admin/accounts/apiclient/{client.pk}/change/").content.decode()
    assert key not in change_page  # never shown again
    # A new key replaces the old one at once.
    rotated = browser.post(
        "/admin/accounts/apiclient/", {"action": "issue_new_key", "_selected_action": [client.pk]}
    )
    new_key = rotated.context["key"]
    assert new_key != key
    assert selectors.api_client_by_key(key) is None and selectors.api_client_by_key(new_key) == client


def test_a_bad_rate_limit_is_refused_in_the_admin(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/accounts/apiclient/add/", {"name": "X", "is_active": "on", "rate_limit": "много"}
    )
    assert response.status_code == 200 and not ApiClient.objects.exists()
    assert "rate_limit" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_consent_history_and_account_deletion(citizen):
    client = ApiClient(name="Агрегатор")
    services.api_client_issue_key(client=client)
    verify(citizen)
    first = services.api_consent_give(user=citizen, client=client, ip_address="192.0.2.1")
    assert services.api_consent_give(user=citizen, client=client) == first  # idempotent
    assert selectors.api_submitter(client=client, email="ALICE@example.ru") == citizen
    assert services.api_consent_revoke(user=citizen, client=client) == 1
    assert selectors.api_submitter(client=client, email=citizen.email) is None
    services.api_consent_give(user=citizen, client=client)
    assert ApiClientConsent.objects.filter(user=citizen).count() == 2  # the history stays
    services.account_delete(user=citizen)
    assert not ApiClientConsent.objects.filter(user=citizen, revoked_at__isnull=True).exists()


def test_the_cabinet_page(client, citizen):
    api_client = ApiClient(name="Агрегатор «Наш город»")
    services.api_client_issue_key(client=api_client)
    client.force_login(citizen)
    page = client.get("/cabinet/apps/").content.decode()
    assert "Агрегатор «Наш город»" in page and "Сначала подтвердите адрес" in page
    assert client.post("/cabinet/apps/", {"client": "abc", "action": "allow"}).status_code == 404
    assert client.post("/cabinet/apps/", {"client": "99999999999999", "action": "allow"}).status_code == 404
    client.post("/cabinet/apps/", {"client": api_client.pk, "action": "allow"})
    assert "Разрешено с" in client.get("/cabinet/apps/").content.decode()
    assert 'href="/cabinet/apps/"' in client.get("/cabinet/profile/").content.decode()
