"""The message page, its photos and attachments, supports (§7.5) and ratings (§7.1–7.2)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from messages import services
from messages.models import Support
from tests.factories import answered, processed_photos, registered, submit
from tests.sharedcache import shared_cache_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the per-IP guest limit lives in the cache
    yield
    cache.clear()


def page_url(message):
    return f"/m/{message.number}/"


# --- who sees the page ---------------------------------------------------------------------------


def test_public_message_page_for_a_guest(client, citizen, moderator, category):
    message = registered(citizen, category, moderator, text="Яма у остановки")
    response = client.get(page_url(message))
    assert response.status_code == 200
    body = response.content.decode()
    for piece in ("Яма у остановки", "ул. Ленина, 5", "Ямы на дорогах", "зарегистрировано", "Поддержать"):
        assert piece in body
    # Issue 18.4: the public timeline starts with «поступило», from the public «Поступило» date, not from the
    # author's private event; the author-only events stay private.
    assert body.count("сообщение поступило") == 1
    assert "отказано в регистрации" not in body


def test_private_message_is_404_for_other_citizen_and_a_login_page_for_guest(
    client, citizen, other_citizen, category
):
    message = submit(citizen, category)
    assert client.get(page_url(message))["Location"].startswith("/accounts/login/")
    client.force_login(other_citizen)
    assert client.get(page_url(message)).status_code == 404


def test_author_sees_private_state_and_rejection_reasons(client, citizen, moderator, category):
    from directory.models import RejectionReason

    message = submit(citizen, category)
    services.message_reject(
        message=message, actor=moderator, reasons=[RejectionReason.objects.get(code="obscene")], comment="."
    )
    client.force_login(citizen)
    body = client.get(page_url(message)).content.decode()
    assert "отказано в регистрации" in body
    assert "Нецензурная лексика" in body
    assert "сообщение поступило" in body
    assert reverse("portal:edit", kwargs={"number": message.number}) in body


def test_staff_in_scope_sees_a_submitted_message_other_staff_do_not(
    client, citizen, moderator, other_category_moderator, category
):
    message = submit(citizen, category)
    client.force_login(moderator)
    assert client.get(page_url(message)).status_code == 200
    client.force_login(other_category_moderator)
    assert client.get(page_url(message)).status_code == 404


def test_author_name_only_when_opted_in(client, citizen, moderator, category):
    hidden = registered(citizen, category, moderator)
    shown = registered(citizen, category, moderator, show_author_name=True)
    assert "Алиса Иванова" not in client.get(page_url(hidden)).content.decode()
    assert "Алиса Иванова" in client.get(page_url(shown)).content.decode()


def test_answers_with_kinds_and_attachments(client, citizen, moderator, executor, category):
    from datetime import date

    message = registered(citizen, category, moderator)
    services.message_answer(
        message=message,
        actor=executor,
        kind="planned",
        text="Отремонтируем весной.",
        planned_date=date(2027, 5, 1),
        attachments=processed_photos(1),
    )
    answer = message.answers.get()
    body = client.get(page_url(message)).content.decode()
    assert "решение запланировано" in body and "1 мая 2027" in body and "Отремонтируем весной." in body
    token = answer.attachments.get().token
    assert reverse("portal:attachment_thumb", kwargs={"number": message.number, "token": token}) in body


def test_message_page_wrong_method(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    assert client.post(page_url(message)).status_code == 405


@pytest.mark.parametrize("photos,answers", [(1, 1), (4, 3)])
def test_message_page_query_count_is_constant(
    client, citizen, moderator, executor, category, django_assert_num_queries, photos, answers
):
    message = registered(citizen, category, moderator, photos=processed_photos(photos))
    for i in range(answers):
        services.message_answer(
            message=message, actor=executor, kind="solved", text=f"Ответ {i}", attachments=processed_photos(2)
        )
        if i < answers - 1:
            services.message_rate(message=message, actor=citizen, positive=False, remarks="Не сделано")
    client.force_login(citizen)
    # user, official (scope), message, answers(+rating), attachments, documents, photos, events, unread;
    # the session (tests/sharedcache.py)
    with django_assert_num_queries(9 + shared_cache_queries(sessions=1)):
        response = client.get(page_url(message))
    assert len(response.context["answers"]) == answers


# --- photos and attachments ----------------------------------------------------------------------


def _get(client, url):
    """GET a file URL and read it through: the test client then closes the file (and nothing else)."""
    response = client.get(url)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


def _status(client, url):
    return _get(client, url).status_code


def _photo_urls(message):
    token = message.photos.first().token
    kwargs = {"number": message.number, "token": token}
    return reverse("portal:photo", kwargs=kwargs), reverse("portal:photo_thumb", kwargs=kwargs)


def test_public_photo_served_with_safe_headers(client, citizen, moderator, category):
    message = registered(citizen, category, moderator, photos=processed_photos(1))
    for url in _photo_urls(message):
        response = _get(client, url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("public")
        assert response.body[:3] == b"\xff\xd8\xff"


def test_private_photo_only_for_author_and_staff_in_scope(
    client, citizen, other_citizen, moderator, other_category_moderator, category
):
    message = submit(citizen, category, photos=processed_photos(1))
    urls = _photo_urls(message)
    for url in urls:
        assert _status(client, url) == 404
    client.force_login(other_citizen)
    assert all(_status(client, url) == 404 for url in urls)
    client.force_login(other_category_moderator)
    assert all(_status(client, url) == 404 for url in urls)
    for user in (citizen, moderator):
        client.force_login(user)
        response = _get(client, urls[0])
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("private")


def test_photo_token_must_belong_to_the_number(client, citizen, moderator, category):
    private = submit(citizen, category, photos=processed_photos(1))
    public = registered(citizen, category, moderator)
    token = private.photos.get().token
    url = reverse("portal:photo", kwargs={"number": public.number, "token": token})
    assert _status(client, url) == 404


def test_attachment_of_public_message_and_methods(client, citizen, moderator, executor, category):
    message = registered(citizen, category, moderator)
    services.message_answer(
        message=message, actor=executor, kind="solved", text="Готово", attachments=processed_photos(1)
    )
    token = message.answers.get().attachments.get().token
    kwargs = {"number": message.number, "token": token}
    for name in ("portal:attachment", "portal:attachment_thumb"):
        assert _status(client, reverse(name, kwargs=kwargs)) == 200
        assert client.post(reverse(name, kwargs=kwargs)).status_code == 405
    for url in _photo_urls(registered(citizen, category, moderator, photos=processed_photos(1))):
        assert client.post(url).status_code == 405


# --- supports (§7.5) -------------------------------------------------------------------------------


def support_url(message):
    return reverse("portal:support", kwargs={"number": message.number})


def test_user_supports_once_and_second_time_changes_nothing(
    client, citizen, other_citizen, moderator, category
):
    message = registered(citizen, category, moderator)
    client.force_login(other_citizen)
    first = client.post(support_url(message), follow=True)
    assert "Ваша поддержка учтена" in first.content.decode()
    second = client.post(support_url(message), follow=True)
    assert "уже поддержали" in second.content.decode()
    message.refresh_from_db()
    assert message.support_count == 1 == Support.objects.filter(message=message).count()


def test_guest_supports_once_with_a_cookie(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    response = client.post(support_url(message))
    assert response.status_code == 302
    assert "zg_guest" in response.cookies
    client.post(support_url(message))
    message.refresh_from_db()
    assert message.support_count == 1
    assert "Вы поддержали это сообщение" in client.get(page_url(message)).content.decode()


def guest_with_csrf_cookie(message):
    """A browser-like guest: CSRF checks enforced, the message page read first (it sets the CSRF cookie)."""
    guest = Client(enforce_csrf_checks=True)
    assert guest.get(page_url(message)).status_code == 200
    return guest


def post_support_as_a_form(guest, message):
    return guest.post(support_url(message), {"csrfmiddlewaretoken": guest.cookies["csrftoken"].value})


def test_a_guest_support_sent_again_after_its_answer_was_lost_counts_once(citizen, moderator, category):
    # The scale-out test's round 2: the node died after saving the support, before the guest cookie
    # reached the browser; the browser sends the same POST (same CSRF cookie, no guest cookie) again.
    message = registered(citizen, category, moderator)
    guest = guest_with_csrf_cookie(message)
    first = post_support_as_a_form(guest, message)
    assert first.status_code == 302 and "zg_guest" in first.cookies
    del guest.cookies["zg_guest"]  # the answer never arrived
    again = post_support_as_a_form(guest, message)
    assert again.status_code == 302
    assert "уже поддержали" in guest.get(again["Location"]).content.decode()
    message.refresh_from_db()
    assert message.support_count == 1 == Support.objects.filter(message=message).count()


def test_two_guests_each_with_their_own_csrf_cookie_count_twice(citizen, moderator, category):
    message = registered(citizen, category, moderator)
    for _ in range(2):
        response = post_support_as_a_form(guest_with_csrf_cookie(message), message)
        assert response.status_code == 302 and "zg_guest" in response.cookies
    message.refresh_from_db()
    assert message.support_count == 2 == Support.objects.filter(message=message).count()


def test_forged_guest_cookie_is_ignored(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.cookies["zg_guest"] = "forged-token"
    client.post(support_url(message))
    support = Support.objects.get(message=message)
    assert support.guest_token != "forged-token"


def test_guest_token_minting_is_rate_limited_per_ip(client, citizen, moderator, category, settings):
    settings.RATE_LIMIT_GUEST_SUPPORT = "2/1h/ip"
    message = registered(citizen, category, moderator)
    for _ in range(3):
        client.cookies.clear()
        response = client.post(support_url(message), follow=True)
    assert "Слишком много попыток" in response.content.decode()
    message.refresh_from_db()
    assert message.support_count == 2


def test_guest_limit_is_per_client_behind_a_trusted_proxy(client, citizen, moderator, category, settings):
    settings.RATE_LIMIT_GUEST_SUPPORT = "1/1h/ip"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    message = registered(citizen, category, moderator)
    for address in ("198.51.100.1", "198.51.100.2"):
        client.cookies.clear()
        client.post(support_url(message), HTTP_X_FORWARDED_FOR=address)
    client.cookies.clear()
    client.post(support_url(message), HTTP_X_FORWARDED_FOR="198.51.100.1")  # second new guest: refused
    message.refresh_from_db()
    assert message.support_count == 2


def test_author_cannot_support_own_message(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.force_login(citizen)
    response = client.post(support_url(message), follow=True)
    assert "Нельзя поддержать собственное сообщение" in response.content.decode()
    message.refresh_from_db()
    assert message.support_count == 0


def test_private_message_cannot_be_supported(client, citizen, other_citizen, category):
    message = submit(citizen, category)
    assert client.post(support_url(message)).status_code == 404
    client.force_login(other_citizen)
    assert client.post(support_url(message)).status_code == 404
    assert not Support.objects.exists()


def test_support_wrong_method(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    assert client.get(support_url(message)).status_code == 405


# --- ratings (§7.1–7.2) --------------------------------------------------------------------------


def rate_url(message):
    return reverse("portal:rate", kwargs={"number": message.number})


def test_author_rates_positively_and_message_closes(client, citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    client.force_login(citizen)
    assert "Оцените ответ" in client.get(page_url(message)).content.decode()
    response = client.post(rate_url(message), {"positive": "yes"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == "closed"


def test_negative_rating_needs_remarks_error_next_to_field(client, citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    client.force_login(citizen)
    response = client.post(rate_url(message), {"positive": "no", "remarks": " "})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_remarks_error"' in body and "§7.2" in body
    assert 'aria-describedby="id_remarks_help id_remarks_error id_remarks_count"' in body
    message.refresh_from_db()
    assert message.state == "answered"
    client.post(rate_url(message), {"positive": "no", "remarks": "Яма осталась"})
    message.refresh_from_db()
    assert message.state == "rework" and message.rework_count == 1


def test_only_author_rates(client, citizen, other_citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    assert client.post(rate_url(message), {"positive": "yes"})["Location"].startswith("/accounts/login/")
    client.force_login(other_citizen)
    assert "Оцените ответ" not in client.get(page_url(message)).content.decode()
    assert client.post(rate_url(message), {"positive": "yes"}).status_code == 403
    client.force_login(executor)
    assert client.post(rate_url(message), {"positive": "yes"}).status_code == 403
    message.refresh_from_db()
    assert message.state == "answered"


def test_second_rating_is_refused_with_a_message(client, citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    client.force_login(citizen)
    client.post(rate_url(message), {"positive": "yes"})
    response = client.post(rate_url(message), {"positive": "no", "remarks": "x"}, follow=True)
    assert "Действие недоступно" in response.content.decode()


def test_rate_wrong_method(client, citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    client.force_login(citizen)
    assert client.get(rate_url(message)).status_code == 405
