"""Issue 18.6: allauth's account e-mails in the platform's own words and layout (text + HTML), with every link on
SITE_URL — never the host the request named (127.0.0.1:8000, testserver) nor example.com. Each e-mail is made by
the real flow (sign-up, password reset, e-mail change) and mailed by the worker."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache

from messages.tasks import deliver_outbox
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SITE = "https://smart.zarechny.example"
PASSWORD = "очень-длинный-пароль-42"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    yield
    cache.clear()  # allauth's per-address limits


def _mailed(django_capture_on_commit_callbacks, action):
    with django_capture_on_commit_callbacks(execute=True):
        response = action()
    assert response.status_code in (200, 302)
    deliver_outbox()
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def _check(email, *, subject, words, link_path, button):
    assert email.subject == f"«Умный город» Заречный: {subject}"
    html = dict((mimetype, body) for body, mimetype in email.alternatives)["text/html"]
    for body in (email.body, html):
        assert "Умный город" in body and "Заречн" in body
        for wrong in ("127.0.0.1", "testserver", "example.com", "localhost"):
            assert wrong not in body, (wrong, body)
        for part in words:
            assert part in body
    links = re.findall(r"https?://[^\s\"<]+", email.body)
    assert links and all(link == SITE or link.startswith(SITE + "/") for link in links), links
    assert any(link.startswith(SITE + link_path) for link in links), links
    assert f">{button}</a>" in html
    assert 'lang="ru"' in html and "Здравствуйте!" in html  # the site's e-mail layout (emails/base.html)
    return next(link for link in links if link.startswith(SITE + link_path))


def test_signup_confirmation(client, django_capture_on_commit_callbacks):
    email = _mailed(
        django_capture_on_commit_callbacks,
        lambda: client.post(
            "/accounts/signup/",
            {
                "email": "nina@example.ru",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "personal_data_consent": "on",
            },
        ),
    )
    link = _check(
        email,
        subject="Подтвердите адрес электронной почты",
        words=["завершить регистрацию"],
        button="Подтвердить адрес",
        link_path="/accounts/confirm-email/",
    )
    assert client.get(link.removeprefix(SITE)).status_code == 200  # the link leads to the real page


def test_password_reset(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="olga@example.ru")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    email = _mailed(
        django_capture_on_commit_callbacks,
        lambda: client.post("/accounts/password/reset/", {"email": "olga@example.ru"}),
    )
    link = _check(
        email,
        subject="Восстановление пароля",
        words=["восстановление пароля"],
        button="Задать новый пароль",
        link_path="/accounts/password/reset/key/",
    )
    assert client.get(link.removeprefix(SITE), follow=True).status_code == 200


def test_password_reset_for_an_unknown_address(client, django_capture_on_commit_callbacks, settings):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    email = _mailed(
        django_capture_on_commit_callbacks,
        lambda: client.post("/accounts/password/reset/", {"email": "nobody@example.ru"}),
    )
    _check(
        email,
        subject="Восстановление пароля: учётная запись не найдена",
        words=["nobody@example.ru"],
        button="Зарегистрироваться",
        link_path="/accounts/signup/",
    )


def test_email_change_confirmation(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="olga@example.ru")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    email = _mailed(
        django_capture_on_commit_callbacks,
        lambda: client.post("/accounts/email/", {"action_add": "", "email": "olga.new@example.ru"}),
    )
    assert email.to == ["olga.new@example.ru"]
    _check(
        email,
        subject="Подтвердите адрес электронной почты",
        words=["Подтвердите, что он ваш"],
        button="Подтвердить адрес",
        link_path="/accounts/confirm-email/",
    )
