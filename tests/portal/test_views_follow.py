"""«Следить за сообщением» on the portal (issue 15.5): the button on the message page, the cabinet's
«Вы следите», and the one-click unfollow page of the e-mails (signed token, no login)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from messages import services
from messages.models import MessageFollow, Notification
from messages.unfollow import MAX_AGE, SALT, unfollow_token
from tests.factories import UserFactory, answered, registered, submit
from tests.sharedcache import shared_cache_queries

pytestmark = pytest.mark.django_db


def page_url(message):
    return f"/m/{message.number}/"


def link(user, message):
    return f"/unfollow/{unfollow_token(user_id=user.pk, message_id=message.pk)}/"


def _follows(user):
    return set(MessageFollow.objects.filter(user=user).values_list("message__number", flat=True))


# --- the button on the message page ---------------------------------------------------------------


def test_the_button_for_each_kind_of_visitor(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    body = client.get(page_url(message)).content.decode()
    assert "Следить за сообщением" in body
    assert f'href="/accounts/login/?next=/m/{message.number}/%23follow"' in body  # a guest logs in first

    client.force_login(other_citizen)
    body = client.get(page_url(message)).content.decode()
    assert f'action="/m/{message.number}/follow/"' in body and ">Следить</button>" in body

    services.message_follow(message=message, user=other_citizen)
    body = client.get(page_url(message)).content.decode()
    assert "Вы следите" in body and f'action="/m/{message.number}/unfollow/"' in body
    assert ">Не следить</button>" in body

    client.force_login(citizen)
    body = client.get(page_url(message)).content.decode()
    assert "Вы автор: письма о каждом шаге рассмотрения приходят вам автоматически." in body
    assert "/follow/" not in body and "/unfollow/" not in body

    client.force_login(moderator)
    body = client.get(page_url(message)).content.decode()
    assert "С учётной записи сотрудника за сообщениями не следят" in body and "/follow/" not in body


def test_the_number_of_followers_is_not_shown(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    for i in range(3):
        services.message_follow(message=message, user=UserFactory(email=f"n{i}@example.ru"))
    body = client.get(page_url(message)).content.decode()
    assert "Следить за сообщением" in body
    assert "следят" not in body and "подписчик" not in body and "подписан" not in body


def test_no_button_on_a_message_not_yet_public_nor_a_closed_one(
    client, citizen, other_citizen, moderator, executor, category
):
    client.force_login(citizen)
    assert "Следить за сообщением" not in client.get(page_url(submit(citizen, category))).content.decode()
    closed = answered(citizen, category, moderator, executor)
    services.message_rate(message=closed, actor=citizen, positive=True)
    client.force_login(other_citizen)
    body = client.get(page_url(closed)).content.decode()
    assert "Рассмотрение окончено" in body and "/follow/" not in body


def test_follow_and_unfollow_from_the_page(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.force_login(other_citizen)
    response = client.post(f"/m/{message.number}/follow/", follow=True)
    assert response.redirect_chain[-1][0] == f"/m/{message.number}/#follow"
    assert f"письмо придёт на {other_citizen.email}" in response.content.decode()
    assert _follows(other_citizen) == {message.number}
    response = client.post(f"/m/{message.number}/follow/", follow=True)
    assert "Вы уже следите за этим сообщением." in response.content.decode()
    assert MessageFollow.objects.count() == 1
    response = client.post(f"/m/{message.number}/unfollow/", follow=True)
    assert response.redirect_chain[-1][0] == f"/m/{message.number}/#follow"
    assert "Вы больше не следите" in response.content.decode()
    assert _follows(other_citizen) == set()


def test_refusals_come_back_as_a_message_on_the_page(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.force_login(moderator)
    body = client.post(f"/m/{message.number}/follow/", follow=True).content.decode()
    assert "Учётная запись сотрудника не подписывается на сообщения" in body
    client.force_login(citizen)
    body = client.post(f"/m/{message.number}/follow/", follow=True).content.decode()
    assert "Это ваше сообщение" in body
    assert not MessageFollow.objects.exists()


def test_follow_of_a_private_message_is_404_and_guests_log_in(client, citizen, other_citizen, category):
    private = submit(citizen, category)
    assert client.post(f"/m/{private.number}/follow/")["Location"].startswith("/accounts/login/")
    client.force_login(other_citizen)
    assert client.post(f"/m/{private.number}/follow/").status_code == 404
    assert client.get(f"/m/{private.number}/follow/").status_code == 405


def test_follow_and_unfollow_need_the_csrf_token(citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(other_citizen)
    assert strict.post(f"/m/{message.number}/follow/").status_code == 403
    services.message_follow(message=message, user=other_citizen)
    assert strict.post(f"/m/{message.number}/unfollow/").status_code == 403
    assert _follows(other_citizen) == {message.number}


def test_unfollow_goes_back_only_to_our_own_pages(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    client.force_login(other_citizen)
    services.message_follow(message=message, user=other_citizen)
    response = client.post(f"/m/{message.number}/unfollow/", {"next": "/cabinet/#following"})
    assert response["Location"] == "/cabinet/#following"
    services.message_follow(message=message, user=other_citizen)
    response = client.post(f"/m/{message.number}/unfollow/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/m/{message.number}/#follow"
    # Not following (or no such number): the same answer either way, nothing changes.
    for number in (message.number, "2026-999999"):
        response = client.post(f"/m/{number}/unfollow/")
        assert (response.status_code, response["Location"]) == (302, "/cabinet/")


# --- the cabinet -----------------------------------------------------------------------------------


def test_the_cabinet_lists_what_i_follow_with_unfollow(client, citizen, other_citizen, moderator, category):
    first = registered(citizen, category, moderator, text="Яма у школы")
    second = registered(citizen, category, moderator, text="Яма у рынка")
    mine_only_for_others = registered(other_citizen, category, moderator, text="Яма Бориса")
    services.message_follow(message=first, user=other_citizen)
    services.message_follow(message=second, user=other_citizen)
    services.message_follow(message=mine_only_for_others, user=citizen)
    client.force_login(other_citizen)
    response = client.get("/cabinet/")
    body = response.content.decode()
    assert [f.message.number for f in response.context["follows"]] == [second.number, first.number]
    assert 'id="following"' in body and "Яма у школы" in body and "Яма у рынка" in body
    assert body.count('name="next" value="/cabinet/#following"') == 2
    assert f'action="/m/{first.number}/unfollow/"' in body
    client.force_login(citizen)
    body = client.get("/cabinet/").content.decode()
    assert "Яма Бориса" in body and "Яма у школы" in body  # her own, and the one she follows


def test_the_cabinet_says_when_nothing_is_followed(client, other_citizen):
    client.force_login(other_citizen)
    assert "Вы пока не следите ни за одним сообщением." in client.get("/cabinet/").content.decode()


@pytest.mark.parametrize("rows", [2, 12])
def test_the_cabinet_queries_do_not_grow_with_follows(
    client, citizen, other_citizen, moderator, category, django_assert_num_queries, rows
):
    for _ in range(rows):
        services.message_follow(message=registered(citizen, category, moderator), user=other_citizen)
    client.force_login(other_citizen)
    # user, my messages (count + page: none), follows (count + page), header: unread + official; the
    # session (tests/sharedcache.py)
    with django_assert_num_queries(6 + shared_cache_queries(sessions=1)):
        response = client.get("/cabinet/")
    assert len(response.context["follows"].object_list) == rows


# --- the one-click unfollow link of the e-mails -----------------------------------------------------


def test_the_link_asks_first_and_the_button_unfollows_without_login(
    client, citizen, other_citizen, moderator, category
):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    url = link(other_citizen, message)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Перестать следить за сообщением?" in body and f"№&nbsp;{message.number}" in body
    assert "Ямы на дорогах" in body
    assert response["Cache-Control"] == "private, no-store"
    assert client.head(url).status_code == 200
    assert _follows(other_citizen) == {message.number}  # opening the link (or a scanner) changes nothing
    response = client.post(url)
    assert response.status_code == 200
    assert "Вы больше не следите за сообщением" in response.content.decode()
    assert _follows(other_citizen) == set()
    # Again: already done, said plainly.
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 200
        assert "Вы уже не следите за сообщением" in response.content.decode()


def test_one_click_unsubscribe_of_a_mail_client(citizen, other_citizen, moderator, category, executor):
    """RFC 8058: the mail client posts `List-Unsubscribe=One-Click` to the header's address, with no cookie
    and no CSRF token; the pending e-mails about the message stay unsent."""
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    bare = Client(enforce_csrf_checks=True)
    response = bare.post(
        link(other_citizen, message),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert _follows(other_citizen) == set()
    assert Notification.objects.get(kind="follow_answered").email_status == "skipped"


def test_a_token_ends_only_its_own_subscription_whoever_is_logged_in(
    client, citizen, other_citizen, moderator, category
):
    third = UserFactory(email="vera@example.ru")
    message = registered(citizen, category, moderator)
    other_message = registered(citizen, category, moderator)
    for user in (other_citizen, third):
        services.message_follow(message=message, user=user)
        services.message_follow(message=other_message, user=user)
    client.force_login(third)  # Вера opens Борис's link (a forwarded e-mail)
    client.post(link(other_citizen, message))
    assert _follows(other_citizen) == {other_message.number}
    assert _follows(third) == {message.number, other_message.number}


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 600,
        signing.dumps([1, 1], salt="portal.guest-support"),
        signing.dumps("anything", salt=SALT),
        signing.dumps([1, "1"], salt=SALT),
    ],
)
def test_a_tampered_link_is_a_clear_russian_page(client, token):
    for method in (client.get, client.post):
        response = method(f"/unfollow/{token}/")
        assert response.status_code == 400
        body = response.content.decode()
        assert "Ссылка для отписки не работает" in body and "повреждена" in body
        assert "/cabinet/#following" in body


def test_a_changed_character_breaks_the_signature(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    token = unfollow_token(user_id=other_citizen.pk, message_id=message.pk)
    forged = token[:-2] + ("xy" if token[-2:] != "xy" else "yz")
    assert client.post(f"/unfollow/{forged}/").status_code == 400
    # Another person's id under the same signature does not pass either.
    payload = signing.b64_encode(f"[{citizen.pk},{message.pk}]".encode()).decode()
    assert client.post(f"/unfollow/{payload}{token[token.index(':') :]}/").status_code == 400
    assert _follows(other_citizen) == {message.number}


def test_an_expired_link_is_a_clear_russian_page(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    url = link(other_citizen, message)
    with time_machine.travel(timezone.now() + MAX_AGE + timedelta(days=1)):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 410
            assert "Срок действия этой ссылки истёк" in response.content.decode()
    assert _follows(other_citizen) == {message.number}


def test_a_link_to_a_message_that_is_gone_says_so(client, citizen, other_citizen, moderator, category):
    message = registered(citizen, category, moderator)
    url = f"/unfollow/{unfollow_token(user_id=other_citizen.pk, message_id=999999)}/"
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 200
        assert "Вы уже не следите" in response.content.decode()
    assert message.number not in client.get(link(other_citizen, message)).content.decode()
