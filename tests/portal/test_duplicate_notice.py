"""§4.4 on the portal (issue 13.3): the author of a repeat reads in plain words what happened — on the refused
message's page and in the on-site notice — and supports the original in one step (a POST with CSRF)."""

import re

import pytest
from django.test import Client

from directory.models import RejectionReason
from messages import services
from messages.models import Support
from tests.factories import registered, submit

pytestmark = pytest.mark.django_db


def _plain(html):
    """The page's words: tags dropped, no-break spaces (kept numbers on one line) as spaces."""
    return re.sub(r"<[^>]+>", "", html).replace("&nbsp;", " ")


@pytest.fixture
def repeat(citizen, other_citizen, category, moderator):
    original = registered(other_citizen, category, moderator, text="Яма у школы")
    message = submit(citizen, category, text="Большая яма у школы")
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=list(RejectionReason.objects.filter(code="duplicate")),
        comment="Это та же яма",
        duplicate_of=original,
    )
    return message, original


def test_refused_page_says_what_happened_and_offers_support(client, citizen, repeat):
    """§4.4: «не зарегистрировано: повтор сообщения № …, уже рассматривается», never «удалено»; one button."""
    message, original = repeat
    client.force_login(citizen)
    body = client.get(f"/m/{message.number}/").content.decode()
    assert f"Не зарегистрировано: повтор сообщения № {original.number}" in _plain(body)
    assert "уже рассматривается" in body and "Это та же яма" in body
    assert "удал" not in body.lower()
    assert f'action="/m/{original.number}/support/"' in body and "csrfmiddlewaretoken" in body
    assert f"Поддержать сообщение № {original.number}" in _plain(body)
    assert "Исправить и отправить снова" not in body


def test_one_step_support_from_the_refused_page(citizen, repeat):
    """§4.4, §7.5: the button supports the original at once (with the CSRF token of the page)."""
    message, original = repeat
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    page = browser.get(f"/m/{message.number}/")
    token = page.context["csrf_token"]
    response = browser.post(f"/m/{original.number}/support/", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302 and response["Location"] == f"/m/{original.number}/#support"
    assert Support.objects.filter(message=original, user=citizen).exists()
    original.refresh_from_db()
    assert original.support_count == 1
    body = browser.get(f"/m/{message.number}/").content.decode()
    assert f"Вы уже поддержали сообщение № {original.number}" in body
    assert f'action="/m/{original.number}/support/"' not in body


def test_support_without_the_csrf_token_is_refused(citizen, repeat):
    """A cross-site form cannot support in the author's name."""
    _, original = repeat
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    assert browser.post(f"/m/{original.number}/support/").status_code == 403
    assert not Support.objects.exists()


def test_on_site_notice_says_it_plainly_and_supports_in_one_step(client, citizen, repeat):
    """§4.4: the notice in the cabinet names the original, says it is being handled, and has the button."""
    message, original = repeat
    client.force_login(citizen)
    body = client.get("/cabinet/notifications/").content.decode()
    assert f'href="/m/{message.number}/#duplicate"' in body
    assert f"Не зарегистрировано: повтор сообщения № {original.number}" in _plain(body)
    assert "уже рассматривается" in body and "удал" not in body.lower()
    assert f'action="/m/{original.number}/support/"' in body


def test_a_repeat_of_ones_own_message_offers_no_support(client, citizen, category, moderator):
    """§7.5: the author cannot support their own original: no button, a pointer to follow it instead."""
    original = registered(citizen, category, moderator)
    message = submit(citizen, category)
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=list(RejectionReason.objects.filter(code="duplicate")),
        duplicate_of=original,
    )
    client.force_login(citizen)
    for page in (f"/m/{message.number}/", "/cabinet/notifications/"):
        body = client.get(page).content.decode()
        assert f'action="/m/{original.number}/support/"' not in body, page
    assert "ваше собственное" in client.get(f"/m/{message.number}/").content.decode()


def test_cabinet_names_the_original(client, citizen, repeat):
    """§4.4: «Мои сообщения» says «не зарегистрировано: повтор сообщения № …» and links to the explanation."""
    message, original = repeat
    client.force_login(citizen)
    body = client.get("/cabinet/").content.decode()
    assert f"Не зарегистрировано: повтор сообщения № {original.number}" in _plain(body)
    assert f'href="/m/{message.number}/#duplicate"' in body
