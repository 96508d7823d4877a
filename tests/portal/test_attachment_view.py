"""Issue 18.4: a photo attached to an answer opens a viewer page with the message's context (number, category,
which answer, back link), not the bare JPEG, with the message page's access rule; PDFs stay a download."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from messages import services
from messages.models import Message, State
from tests.factories import processed_documents, processed_photos, registered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _answer(message, executor, **extra):
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.", **extra)
    return message.answers.order_by("created_at", "id").last()


def _view(message, attachment):
    return reverse("portal:attachment_view", kwargs={"number": message.number, "token": attachment.token})


@pytest.fixture
def answered_twice(citizen, moderator, executor, category):
    """A message answered, reworked after a negative rating and answered again with three photos and a PDF."""
    message = registered(citizen, category, moderator, text="Яма у школы")
    _answer(message, executor, attachments=processed_photos(1))
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Яма осталась.")
    second = _answer(message, executor, attachments=processed_photos(3), documents=processed_documents(1))
    return message, second


def test_answer_thumbnail_opens_the_viewer_with_the_context(client, answered_twice, category):
    message, second = answered_twice
    files = list(second.attachments.order_by("position", "id"))
    page = client.get(reverse("portal:message", kwargs={"number": message.number})).content.decode()
    assert f'<a href="{_view(message, files[0])}"><img' in page
    assert 'id="answer-2"' in page
    # The PDF stays a download.
    document = second.documents.get()
    assert (
        f'href="{reverse("portal:document", kwargs={"number": message.number, "token": document.token})}" download'
        in page
    )

    response = client.get(_view(message, files[1]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Вложение 2 из 3 к ответу</h1>" in html
    assert "Ответ 2 из 2:" in html and "после доработки" in html
    assert message.number in html and category.name in html and second.organization.short_name in html
    assert f"{reverse('portal:message', kwargs={'number': message.number})}#answer-2" in html
    for neighbour in (files[0], files[2]):
        assert _view(message, neighbour) in html
    image = reverse("portal:attachment", kwargs={"number": message.number, "token": files[1].token})
    assert f'<img src="{image}"' in html


def test_the_first_answers_single_photo(client, answered_twice):
    message, _ = answered_twice
    first = message.answers.order_by("created_at", "id").first().attachments.get()
    html = client.get(_view(message, first)).content.decode()
    assert "<h1>Вложение 1 из 1 к ответу</h1>" in html and "Ответ 1 из 2:" in html
    assert 'rel="next"' not in html and 'rel="prev"' not in html


def test_back_office_links_the_viewer_pages(client, answered_twice, moderator):
    message, second = answered_twice
    client.force_login(moderator)
    html = client.get(reverse("office:review", kwargs={"number": message.number})).content.decode()
    for f in second.attachments.all():
        assert _view(message, f) in html
        assert (
            f'href="{reverse("portal:attachment", kwargs={"number": message.number, "token": f.token})}"'
            not in html
        )


def test_viewer_has_the_message_pages_access_rule(client, answered_twice, citizen, other_citizen, moderator):
    message, second = answered_twice
    url = _view(message, second.attachments.first())
    assert client.get(url).status_code == 200  # public: everyone
    assert client.post(url).status_code == 405
    # A message no longer public (here put back on moderation) shows nothing to the public.
    Message.objects.filter(pk=message.pk).update(state=State.SUBMITTED)
    assert client.get(url).status_code == 404
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    for user in (citizen, moderator):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_viewer_needs_the_attachments_own_message(client, answered_twice, citizen, moderator, category):
    _, second = answered_twice
    other = registered(citizen, category, moderator)
    attachment = second.attachments.first()
    wrong = reverse("portal:attachment_view", kwargs={"number": other.number, "token": attachment.token})
    assert client.get(wrong).status_code == 404
