"""Sign-up with consent (152-ФЗ), email confirmation, profile settings, account deletion."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import ConsentRecord, User
from accounts.services import AccountError, account_delete
from messages import services
from messages.models import Notification
from tests.factories import registered, submit

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Nina@Example.ru",
    "password1": "очень-длинный-пароль-42",
    "password2": "очень-длинный-пароль-42",
    "full_name": "Нина Соколова",
}


def test_signup_page_has_separate_consent_checkbox(client):
    body = client.get("/accounts/signup/").content.decode()
    assert 'name="personal_data_consent"' in body
    assert "152-ФЗ" in body  # the consent text itself is on the page
    assert (
        'name="show_name_publicly"' in body
        and "checked" not in body.split('name="show_name_publicly"')[1][:80]
    )


def test_signup_without_consent_is_refused_with_error_at_the_box(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_personal_data_consent_error"' in body and "152-ФЗ" in body
    assert not User.objects.exists()


def test_signup_stores_consent_and_needs_email_confirmation(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CONSENT_VERSION = "2026-test"
    # The email is queued in the request; after the commit the worker (inline under pytest) mails it.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/", {**SIGNUP, "personal_data_consent": "on"}, REMOTE_ADDR="203.0.113.7"
        )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "nina@example.ru" and user.full_name == "Нина Соколова"
    assert user.show_name_publicly is False
    consent = ConsentRecord.objects.get(user=user)
    assert (consent.version, consent.ip_address, consent.withdrawn_at) == ("2026-test", "203.0.113.7", None)
    # Mandatory confirmation: not logged in yet, an email with the link went out.
    assert client.get("/cabinet/").status_code == 302
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]
    client.post(path)
    assert EmailAddress.objects.get(user=user).verified
    assert client.get("/cabinet/").status_code == 200  # logged in on confirmation


def test_login_page_is_russian_and_labelled(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'for="id_login"' in body and "Адрес электронной почты" in body and ">Войти<" in body


# --- profile ---------------------------------------------------------------------------------------


def test_profile_updates_name_and_opt_in(client, citizen):
    client.force_login(citizen)
    assert client.get("/cabinet/profile/").status_code == 200
    response = client.post("/cabinet/profile/", {"full_name": "Алиса П.", "show_name_publicly": "on"})
    assert response["Location"] == "/cabinet/profile/"
    citizen.refresh_from_db()
    assert citizen.full_name == "Алиса П." and citizen.show_name_publicly


def test_profile_needs_login_and_right_method(client, citizen):
    assert client.get("/cabinet/profile/")["Location"].startswith("/accounts/login/")
    client.force_login(citizen)
    assert client.put("/cabinet/profile/").status_code == 405


# --- deletion ------------------------------------------------------------------------------------------


def test_account_deletion_anonymises_and_keeps_counts(client, citizen, other_citizen, moderator, category):
    mine = registered(citizen, category, moderator, show_author_name=True)
    theirs = registered(other_citizen, category, moderator)
    services.message_support(message=theirs, user=citizen)
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    ConsentRecord.objects.create(user=citizen, version="1", given_at=mine.submitted_at)
    client.force_login(citizen)
    assert "Алиса Иванова" in client.get(f"/m/{mine.number}/").content.decode()

    response = client.post("/cabinet/delete/", {"password": "secret-pass-123", "confirm": "on"})
    assert response["Location"] == "/"
    citizen.refresh_from_db()
    assert citizen.email.endswith("@deleted.invalid") and citizen.full_name == ""
    assert not citizen.is_active and not citizen.has_usable_password()
    assert not EmailAddress.objects.filter(user=citizen).exists()
    assert not Notification.objects.filter(recipient=citizen).exists()
    assert ConsentRecord.objects.get(user=citizen).withdrawn_at is not None
    # The messages stay, anonymous; the support still counts.
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.author_id == citizen.pk and theirs.support_count == 1
    assert "Алиса Иванова" not in client.get(f"/m/{mine.number}/").content.decode()
    # Logged out, and cannot log in again with the old address.
    assert client.get("/cabinet/").status_code == 302
    assert not client.login(username="alice@example.ru", password="secret-pass-123")


def test_account_deletion_needs_password_and_confirmation(client, citizen):
    client.force_login(citizen)
    response = client.post("/cabinet/delete/", {"password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200 and "Неверный пароль" in body and 'id="id_confirm_error"' in body
    citizen.refresh_from_db()
    assert citizen.is_active


def test_official_cannot_delete_own_account(client, moderator):
    client.force_login(moderator)
    response = client.post("/cabinet/delete/", {"password": "secret-pass-123", "confirm": "on"})
    assert "удаляет администратор" in response.content.decode()
    moderator.refresh_from_db()
    assert moderator.is_active
    with pytest.raises(AccountError):
        account_delete(user=moderator)


def test_deleted_author_stays_anonymous_and_two_deletions_get_distinct_tombstones(
    citizen, other_citizen, category
):
    submit(citizen, category)
    first = account_delete(user=citizen)
    second = account_delete(user=other_citizen)
    assert first.email != second.email
    assert account_delete(user=first).email == first.email  # idempotent


def test_delete_view_needs_login_and_method(client, citizen):
    assert client.get("/cabinet/delete/")["Location"].startswith("/accounts/login/")
    client.force_login(citizen)
    assert client.get("/cabinet/delete/").status_code == 200
    assert client.put("/cabinet/delete/").status_code == 405


def test_consent_text_page(client, settings):
    settings.CONSENT_VERSION = "v-test"
    body = client.get("/personal-data/").content.decode()
    assert "v-test" in body and "152-ФЗ" in body


def test_login_lands_citizens_in_cabinet_and_officials_in_office(client, citizen, moderator):
    for user, target in ((citizen, "/cabinet/"), (moderator, "/office/")):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        response = client.post("/accounts/login/", {"login": user.email, "password": "secret-pass-123"})
        assert response["Location"] == target
        client.logout()


def test_change_of_email_takes_effect_after_confirmation(client, citizen, django_capture_on_commit_callbacks):
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    client.force_login(citizen)
    page = client.get("/accounts/email/").content.decode()
    assert "Новый адрес электронной почты" in page and citizen.email in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/email/", {"action_add": "", "email": "alice.new@example.ru"})
    citizen.refresh_from_db()
    assert citizen.email == "alice@example.ru"  # not before confirmation
    link = re.search(r"/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    client.post(link)
    citizen.refresh_from_db()
    assert citizen.email == "alice.new@example.ru"
    assert list(EmailAddress.objects.filter(user=citizen).values_list("email", flat=True)) == [
        "alice.new@example.ru"
    ]


def test_password_change(client, citizen):
    client.force_login(citizen)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "secret-pass-123",
            "password1": "новый-пароль-2026",
            "password2": "новый-пароль-2026",
        },
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password("новый-пароль-2026")


def test_password_reset_sends_a_link(client, citizen, django_capture_on_commit_callbacks):
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "ALICE@example.ru"})
    assert response.status_code == 302
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body
