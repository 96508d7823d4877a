"""§4.4 in the back-office (issue 13.3): the review page's one-click «дубликат» asks for confirmation on a page
of its own (no script needed); only its POST refuses the message."""

import pytest
from django.urls import reverse

from messages.models import State
from tests.factories import registered, submit


def _review(message):
    return reverse("office:review", kwargs={"number": message.number})


def _confirm(message):
    return reverse("office:duplicate", kwargs={"number": message.number})


@pytest.fixture
def pair(citizen, other_citizen, category, moderator):
    original = registered(other_citizen, category, moderator, text="Яма у школы на Ленина")
    message = submit(citizen, category, text="Яма у школы, Ленина")
    return message, original


def test_the_button_opens_a_confirmation_and_changes_nothing(client, moderator, pair):
    """§4.4: the sidebar's button is a link to the confirmation page; opening it refuses nothing."""
    message, original = pair
    client.force_login(moderator)
    review = client.get(_review(message)).content.decode()
    link = f'href="{_confirm(message)}?of={original.number}"'
    assert link in review and f"Отказать: дубликат сообщения № {original.number}" in review
    page = client.get(f"{_confirm(message)}?of={original.number}")
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        f'Да, отказать: повтор <span class="nowrap">№&nbsp;{original.number}</span>' in body
        and "Нет, вернуться к сообщению" in body
    )
    assert "Яма у школы на Ленина" in body and "Яма у школы, Ленина" in body  # both, side by side
    assert f'name="duplicate_of" value="{original.number}"' in body and "csrfmiddlewaretoken" in body
    message.refresh_from_db()
    assert message.state == State.SUBMITTED


def test_confirming_refuses_as_a_repeat(client, moderator, pair):
    """§4.4, §5.7: the confirmation's POST refuses with the «дубликат» reason and the comment."""
    message, original = pair
    client.force_login(moderator)
    response = client.post(_confirm(message), {"duplicate_of": original.number, "comment": "Та же яма"})
    assert response.status_code == 302 and response["Location"] == _review(message)
    message.refresh_from_db()
    assert message.state == State.REJECTED and message.duplicate_of == original
    assert [r.code for r in message.rejection_reasons.all()] == ["duplicate"]
    assert message.events.get(kind="rejected").comment == "Та же яма"


@pytest.mark.parametrize("kind", ["submitted", "rejected", "unknown"])
def test_no_confirmation_for_an_original_the_author_cannot_open(
    client, supervisor, citizen, category, kind, moderator
):
    """§4.4: an unpublished or unknown original gets no confirm button, and its POST is refused."""
    from directory.models import RejectionReason
    from messages import services

    message = submit(citizen, category)
    number = "2026-999999"
    if kind != "unknown":
        original = submit(citizen, category, text="Другое")
        if kind == "rejected":
            reasons = list(RejectionReason.objects.filter(code="obscene"))
            services.message_reject(message=original, actor=moderator, reasons=reasons)
        number = original.number
    client.force_login(supervisor)
    body = client.get(f"{_confirm(message)}?of={number}").content.decode()
    assert "Да, отказать" not in body
    response = client.post(_confirm(message), {"duplicate_of": number})
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.state == State.SUBMITTED


def test_scope_and_method(
    client, citizen, other_citizen, category, moderator, other_category_moderator, pair
):
    """Only who moderates the category reaches the page (others: 404); PUT is not a method here."""
    message, original = pair
    client.force_login(other_category_moderator)
    assert client.get(f"{_confirm(message)}?of={original.number}").status_code == 404
    assert client.post(_confirm(message), {"duplicate_of": original.number}).status_code == 404
    client.force_login(moderator)
    assert client.put(_confirm(message)).status_code == 405
    client.logout()
    assert client.get(_confirm(message))["Location"].startswith("/accounts/login/")
    message.refresh_from_db()
    assert message.state == State.SUBMITTED


def test_a_decided_message_offers_no_confirmation(client, moderator, pair):
    """Someone registered it a moment earlier: the page says so and offers nothing."""
    from messages import services

    message, original = pair
    services.message_register(message=message, actor=moderator)
    client.force_login(moderator)
    body = client.get(f"{_confirm(message)}?of={original.number}").content.decode()
    assert "уже принято" in body and "Да, отказать" not in body
