"""Account emails (allauth: sign-up confirmation, password reset, …) go through the outbox and the worker
(issue 11, point 12): an SMTP outage no longer fails the request, and each email is mailed once."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import reverse

from accounts.models import OutboundEmail, User
from accounts.outbox import outbound_emails_retry
from messages.models import Notification
from messages.tasks import deliver_outbox
from tests.messages.test_tasks import Mailbox, free_port

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "olga@example.ru",
    "password1": "очень-длинный-пароль-42",
    "password2": "очень-длинный-пароль-42",
    "full_name": "Нина Соколова",
    "personal_data_consent": "on",
}


@pytest.fixture(autouse=True)
def _forget_rate_limits():
    # allauth counts confirmation and reset emails per address in the cache, which outlives a test.
    yield
    cache.clear()


@pytest.fixture
def smtp_down(settings):
    """The SMTP backend pointing at a closed port; `.start()` brings a real server up on it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 3
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.OUTBOX_BACKOFF_SECONDS = 0  # due again at once: the test brings the server back right away
    box = Mailbox(port=settings.EMAIL_PORT)
    yield box
    box.stop()


def _deliver_until_quiet():
    sent = deliver_outbox()["sent"]
    assert deliver_outbox()["sent"] == 0  # a second run finds nothing
    return sent


def test_signup_with_smtp_down_confirms_page_and_the_mail_goes_once_when_back(
    client, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the worker's wake runs (and finds no server)
        response = client.post("/accounts/signup/", SIGNUP, follow=True)
    assert response.status_code == 200
    assert "Подтвердите адрес электронной почты" in response.content.decode()
    user = User.objects.get(email="olga@example.ru")
    row = OutboundEmail.objects.get()
    assert (row.to_email, row.email_status, row.attempts) == (user.email, "pending", 0)
    assert row.kind == "account/email/email_confirmation_signup"
    assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error

    smtp_down.start()
    assert _deliver_until_quiet() == 1
    [received] = smtp_down.received()
    assert received["Message-ID"] == f"<account-email-{row.pk}@127.0.0.1>"
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", received.get_body(("plain",)).get_content())
    row.refresh_from_db()
    assert (row.email_status, row.body, row.html) == ("sent", "", "")  # the key is not kept
    client.post("/" + link.group(0).split("/", 3)[3])
    assert EmailAddress.objects.get(user=user).verified


def test_password_reset_with_smtp_down_answers_normally_and_mails_once_when_back(
    client, citizen, smtp_down, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": citizen.email}, follow=True)
    assert response.status_code == 200 and "Проверьте почту" in response.content.decode()
    row = OutboundEmail.objects.get()
    assert (row.kind, row.email_status) == ("account/email/password_reset_key", "pending")

    smtp_down.start()
    assert _deliver_until_quiet() == 1
    [received] = smtp_down.received(to=citizen.email)
    assert "/accounts/password/reset/key/" in received.get_body(("plain",)).get_content()
    assert len(smtp_down.received()) == 1


def test_account_emails_and_notices_share_one_run(client, citizen, category, smtp_down):
    from tests.factories import submit

    submit(citizen, category)
    client.post("/accounts/password/reset/", {"email": citizen.email})
    smtp_down.start()
    assert _deliver_until_quiet() == 2
    assert Notification.objects.get().email_status == "sent"
    assert OutboundEmail.objects.get().email_status == "sent"


def test_the_admin_never_shows_the_secret_and_retries_failed_rows_only(client, admin_user, citizen, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    client.post("/accounts/password/reset/", {"email": citizen.email})
    row = OutboundEmail.objects.get()
    key_path = re.search(r"/accounts/password/reset/key/\S+/", row.body).group(0)
    client.force_login(admin_user)
    changelist = reverse("admin:accounts_outboundemail_changelist")
    for url in (changelist, reverse("admin:accounts_outboundemail_change", args=[row.pk])):
        page = client.get(url)
        assert page.status_code == 200
        assert key_path not in page.content.decode() and row.subject not in page.content.decode()

    # pending, sending and sent rows are not touched by "retry"; a failed one is.
    assert outbound_emails_retry(ids=[row.pk]) == 0
    OutboundEmail.objects.filter(pk=row.pk).update(email_status="failed", attempts=6, last_error="550")
    response = client.post(changelist, {"action": "retry", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.email_status, row.attempts, row.last_error) == ("pending", 0, "")
    assert deliver_outbox()["sent"] == 1
    assert outbound_emails_retry(ids=[row.pk]) == 0


def test_the_two_outboxes_know_the_same_states():
    assert set(OutboundEmail.EmailStatus.values) <= set(Notification.EmailStatus.values)
