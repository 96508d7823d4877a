"""Issue 18.4 (and the review page's order, 18.2): timelines from «поступило» to «закрыто», the staff history's
rejection reasons, no support for a closed message, the photo viewer page."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from directory.models import RejectionReason
from messages import services
from messages.errors import MessageActionError
from messages.models import Support
from tests.factories import answered, processed_photos, registered, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _page(client, message):
    return client.get(reverse("portal:message", kwargs={"number": message.number})).content.decode()


def _timeline(body):
    part = body[body.index('id="timeline-heading"') :]
    return part[: part.index("</ol>")]


def test_public_timeline_starts_with_received_and_ends_with_closed(
    client, citizen, moderator, executor, category
):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=True)
    timeline = _timeline(_page(client, message))  # a guest: the submission is not a public event
    items = timeline.split("<li>")[1:]
    assert "сообщение поступило" in items[0]
    assert "зарегистрировано и опубликовано" in items[1]
    assert "ответ оценён положительно" in items[-2]
    assert "сообщение закрыто" in items[-1]


def test_open_message_timeline_has_no_closed_entry_and_one_received(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.force_login(citizen)  # the author sees the submission event itself: not twice
    timeline = _timeline(_page(client, message))
    assert timeline.count("сообщение поступило") == 1
    assert "закрыто" not in timeline


def test_staff_history_lists_the_rejection_reasons_chosen(client, citizen, moderator, category):
    message = submit(citizen, category)
    reasons = list(RejectionReason.objects.filter(code__in=["obscene", "duplicate"]).order_by("code"))
    services.message_reject(message=message, actor=moderator, reasons=reasons[1:], comment="Грубо")
    client.force_login(moderator)
    body = client.get(reverse("office:review", kwargs={"number": message.number})).content.decode()
    history = body[body.index('id="history-heading"') :]
    assert "Причины: Нецензурная лексика" in history


def test_review_page_lists_likely_duplicates_before_the_decision_forms(client, citizen, moderator, category):
    submit(citizen, category, text="Яма у дома 5")
    message = submit(citizen, category, text="Яма у дома 5")
    client.force_login(moderator)
    body = client.get(reverse("office:review", kwargs={"number": message.number})).content.decode()
    assert (
        body.index('id="dupes-heading"')
        < body.index('id="register-heading"')
        < body.index('id="reject-heading"')
    )


def test_closed_message_offers_no_support_and_the_service_refuses_it(
    client, citizen, other_citizen, moderator, executor, category
):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=True)
    client.force_login(other_citizen)
    body = _page(client, message)
    assert reverse("portal:support", kwargs={"number": message.number}) not in body
    assert "поддержка больше не принимается" in body
    response = client.post(reverse("portal:support", kwargs={"number": message.number}), follow=True)
    assert "поддержка больше не принимается" in response.content.decode()
    with pytest.raises(MessageActionError):
        services.message_support(message=message, guest_token="guest-1")
    assert not Support.objects.filter(message=message).exists()


def test_open_public_message_still_offers_support(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.force_login(other_citizen)
    assert reverse("portal:support", kwargs={"number": message.number}) in _page(client, message)


def test_thumbnail_opens_a_viewer_page_with_context(client, citizen, moderator, category):
    message = registered(citizen, category, moderator, photos=processed_photos(3), text="Яма")
    photos = list(message.photos.order_by("position", "id"))
    body = _page(client, message)
    view = reverse("portal:photo_view", kwargs={"number": message.number, "token": photos[0].token})
    assert f'<a href="{view}"><img' in body
    page = client.get(
        reverse("portal:photo_view", kwargs={"number": message.number, "token": photos[1].token})
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Фотография 2 из 3</h1>" in html
    assert message.number in html and category.name in html and message.address in html
    for neighbour in (photos[0], photos[2]):
        assert (
            reverse("portal:photo_view", kwargs={"number": message.number, "token": neighbour.token}) in html
        )
    assert reverse("portal:photo", kwargs={"number": message.number, "token": photos[1].token}) in html
    assert reverse("portal:message", kwargs={"number": message.number}) in html


def test_photo_viewer_has_the_photos_access_rule(client, citizen, other_citizen, moderator, category):
    message = submit(citizen, category, photos=processed_photos(1))
    photo = message.photos.get()
    url = reverse("portal:photo_view", kwargs={"number": message.number, "token": photo.token})
    assert client.get(url).status_code == 404
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    for user in (citizen, moderator):
        client.force_login(user)
        assert client.get(url).status_code == 200
    other = registered(citizen, category, moderator)
    wrong = reverse("portal:photo_view", kwargs={"number": other.number, "token": photo.token})
    assert client.get(wrong).status_code == 404


def test_public_statistics_summary_first_folded_tables_and_scroll_regions(client, citizen, category):
    submit(citizen, category)
    body = client.get(reverse("stats:public")).content.decode()
    assert (
        body.index('id="key-heading"')
        < body.index('id="table-summary"')
        < body.index('id="table-organizations"')
    )
    assert 'id="on-time-vs-overdue"' in body and "на сегодня ещё ждут</em>" in body
    assert "Просрочено сейчас" in body and "Ответов в срок" in body
    assert '<details class="stats-section stats-fold" id="section-organizations">' in body
    assert '<div class="table-wrap scroll-shadow" tabindex="0" role="region" aria-label="Таблица: ' in body
    assert 'class="scroll-hint"' in body
