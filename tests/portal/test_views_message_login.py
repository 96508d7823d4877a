"""Issue 10.5: the author who opens the e-mail link to their own unpublished message while logged out
gets the login page and then the message; nobody learns which numbers exist."""

from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress

from messages.models import Message
from tests.factories import registered, submit

pytestmark = pytest.mark.django_db


def _login_url(path):
    return f"/accounts/login/?next={quote(path)}"


def test_author_logs_in_from_the_email_link_and_sees_the_message(client, citizen, category):
    message = submit(citizen, category, text="Яма у подъезда")
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    path = f"/m/{message.number}/"
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == _login_url(path)
    response = client.post(
        response["Location"], {"login": citizen.email, "password": "secret-pass-123"}, follow=True
    )
    assert response.redirect_chain[-1] == (path, 302)
    assert response.status_code == 200
    assert "Яма у подъезда" in response.content.decode()


def test_a_guest_cannot_tell_a_private_number_from_a_missing_one(client, citizen, category):
    private = submit(citizen, category)
    missing = f"{private.number[:4]}-999999"
    assert not Message.objects.filter(number=missing).exists()
    for number in (private.number, missing):
        response = client.get(f"/m/{number}/")
        assert (response.status_code, response["Location"]) == (302, _login_url(f"/m/{number}/"))
    # A malformed number is no message for anybody.
    assert client.get("/m/not-a-number/").status_code == 404


def test_logged_in_stranger_still_gets_404(client, citizen, other_citizen, category):
    message = submit(citizen, category)
    client.force_login(other_citizen)
    assert client.get(f"/m/{message.number}/").status_code == 404
    assert client.get(f"/m/{message.number[:4]}-999999/").status_code == 404


def test_public_message_opens_for_a_guest(client, citizen, category, moderator):
    message = registered(citizen, category, moderator)
    assert client.get(f"/m/{message.number}/").status_code == 200
