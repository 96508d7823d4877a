"""The personal cabinet: my messages with deadlines and last events, my notifications."""

import pytest

from messages.models import Notification
from tests.factories import answered, registered, submit
from tests.sharedcache import shared_cache_queries

pytestmark = pytest.mark.django_db


def test_cabinet_lists_only_my_messages_with_state_deadline_and_last_event(
    client, citizen, other_citizen, moderator, executor, category
):
    waiting = submit(citizen, category)
    public = registered(citizen, category, moderator)
    done = answered(citizen, category, moderator, executor)
    foreign = submit(other_citizen, category)
    client.force_login(citizen)
    response = client.get("/cabinet/")
    assert response.status_code == 200
    numbers = [m.number for m in response.context["page"]]
    assert set(numbers) == {waiting.number, public.number, done.number}
    assert foreign.number not in response.content.decode()
    body = response.content.decode()
    assert "Срок регистрации" in body and "Срок ответа" in body and "оцените его" in body
    assert "Последнее событие: дан ответ" in body
    assert "Последнее событие: зарегистрировано и опубликовано" in body


@pytest.mark.parametrize("rows", [2, 20])
def test_cabinet_query_count_does_not_grow(
    client, citizen, moderator, category, django_assert_num_queries, rows
):
    for i in range(rows):
        (registered if i % 2 else submit)(citizen, category, **({"moderator": moderator} if i % 2 else {}))
    client.force_login(citizen)
    # user, count, page (with last event annotations), «Вы следите» (count: none), header: unread +
    # official; the session (tests/sharedcache.py)
    with django_assert_num_queries(6 + shared_cache_queries(sessions=1)):
        response = client.get("/cabinet/")
    assert len(response.context["page"].object_list) == rows


def test_cabinet_needs_login_and_get(client, citizen):
    assert client.get("/cabinet/")["Location"].startswith("/accounts/login/")
    client.force_login(citizen)
    assert client.post("/cabinet/").status_code == 405


def test_opening_notifications_marks_nothing_read_the_button_does(
    client, citizen, other_citizen, moderator, category
):
    # Issue 11, item 10: a cross-site link to the page used to mark every notice read.
    registered(citizen, category, moderator)  # «received» + «registered»
    submit(other_citizen, category)
    client.force_login(citizen)
    assert Notification.objects.filter(recipient=citizen, read_at__isnull=True).count() == 2
    assert "непрочитанных уведомлений: 2</span>" in client.get("/cabinet/").content.decode()
    response = client.get("/cabinet/notifications/")
    body = response.content.decode()
    assert body.count("новое</span>") == 2
    assert body.count('class="card unread"') == 2
    assert "Отметить прочитанными" in body
    assert "сообщение зарегистрировано и опубликовано" in body.lower()
    assert len(response.context["page"].object_list) == 2  # not the other citizen's
    assert Notification.objects.filter(recipient=citizen, read_at__isnull=True).count() == 2

    shown = [str(pk) for pk in response.context["unread_ids"]]
    later = registered(citizen, category, moderator)  # arrives after the page was rendered
    response = client.post("/cabinet/notifications/", {"notice": shown})
    assert response.status_code == 302 and response["Location"] == "/cabinet/notifications/"
    unread = Notification.objects.filter(recipient=citizen, read_at__isnull=True)
    assert {n.message_id for n in unread} == {later.pk}
    assert Notification.objects.filter(recipient=other_citizen, read_at__isnull=True).exists()


def test_marking_read_ignores_other_peoples_notices(client, citizen, other_citizen, category):
    submit(other_citizen, category)
    theirs = Notification.objects.get(recipient=other_citizen)
    client.force_login(citizen)
    client.post("/cabinet/notifications/", {"notice": [str(theirs.pk), "abc", "-1"]})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_the_csrf_token(citizen, category):
    from django.test import Client

    submit(citizen, category)
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    notice = Notification.objects.get(recipient=citizen)
    assert client.post("/cabinet/notifications/", {"notice": [str(notice.pk)]}).status_code == 403
    notice.refresh_from_db()
    assert notice.read_at is None


@pytest.mark.parametrize("rows", [1, 10])
def test_notifications_query_count_does_not_grow(
    client, citizen, moderator, category, django_assert_num_queries, rows
):
    for _ in range(rows):
        registered(citizen, category, moderator)  # two notifications each
    client.force_login(citizen)
    # user, count, page (with message and event), header: unread + official; the session
    with django_assert_num_queries(5 + shared_cache_queries(sessions=1)):
        response = client.get("/cabinet/notifications/")
    assert len(response.context["page"].object_list) == 2 * rows


def test_notifications_need_login_and_get_or_post(client, citizen):
    assert client.get("/cabinet/notifications/")["Location"].startswith("/accounts/login/")
    assert client.post("/cabinet/notifications/")["Location"].startswith("/accounts/login/")
    client.force_login(citizen)
    assert client.put("/cabinet/notifications/").status_code == 405


def test_office_link_only_for_officials(client, citizen, moderator, world):
    client.force_login(citizen)
    assert 'href="/office/"' not in client.get("/").content.decode()
    client.force_login(moderator)
    assert 'href="/office/"' in client.get("/").content.decode()
