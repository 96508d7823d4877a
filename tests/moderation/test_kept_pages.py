"""Whole staff pages kept per official (issue 14, moderation/officecache.py `kept_page`): never another
official's page, never past a guard, never with this request's flash messages or another request's CSRF
token, and stale at once when anything on the page changes (or, for the deadlines, within the minute)."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from directory.models import Official
from messages import services
from tests.factories import OfficialFactory, UserFactory, registered, submit
from tests.moderation.conftest import page_queries
from tests.sharedcache import shared_reads

pytestmark = pytest.mark.django_db
QUEUE = reverse("office:moderation_queue")
HOME = reverse("office:home")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the office version lives in the shared cache
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the block leaves for after the commit (the office version is bumped on commit; the
    test's own transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def kept_pages():
    return [made for made in caches["pages"]._cache if ":page:" in made]


def html(response):
    return response.content.decode()


def numbers(response):
    return re.findall(r'<td data-label="Номер"><a href="[^"]+">([^<]+)</a>', html(response))


def without_tokens(response):
    return TOKEN.sub("", html(response))


@pytest.fixture
def twin_moderator(world):
    """A second moderator of the same categories and organisation: the same queue, another person."""
    user = UserFactory(email="twin@adm.ru", full_name="Второй Модератор Категории")
    OfficialFactory(
        user=user, organization=world["administration"], role="moderator", categories=[world["potholes"]]
    )
    user.refresh_from_db()
    return user


def test_a_kept_page_is_served_again_without_rendering(client, moderator, category, citizen):
    message = submit(citizen, category, text="Яма у школы")
    client.force_login(moderator)
    first = client.get(QUEUE)
    assert first.context is not None and len(kept_pages()) == 1
    again = client.get(QUEUE)
    assert again.context is None  # no template rendered
    assert numbers(again) == [message.number]
    assert without_tokens(again) == without_tokens(first)
    assert again["Cache-Control"] == first["Cache-Control"]  # staff pages: never in a shared cache
    assert "no-store" in again["Cache-Control"]


def test_another_official_never_gets_the_page(
    client, moderator, twin_moderator, supervisor, category, citizen
):
    message = submit(citizen, category, text="Яма у школы")
    for path in (QUEUE, HOME, reverse("office:review", args=[message.number])):
        client.force_login(moderator)
        client.get(path)
        assert moderator.full_name in html(client.get(path))  # kept, with its owner's name
        for other in (twin_moderator, supervisor):
            client.force_login(other)
            page = html(client.get(path))
            assert other.full_name in page and moderator.full_name not in page, path


def test_a_decision_shows_at_once_on_every_queue(
    client, moderator, twin_moderator, category, citizen, committed
):
    first = submit(citizen, category, text="Первая яма")
    second = submit(citizen, category, text="Вторая яма")
    for official in (moderator, twin_moderator):
        client.force_login(official)
        for _ in range(2):
            assert sorted(numbers(client.get(QUEUE))) == sorted([first.number, second.number])
        client.get(HOME)
    client.force_login(moderator)
    with committed():
        response = client.post(reverse("office:register", args=[first.number]), {"comment": ""})
    assert response.status_code == 302
    client.get(response["Location"])  # the page with the flash message
    for official in (moderator, twin_moderator):
        client.force_login(official)
        assert numbers(client.get(QUEUE)) == [second.number]
        assert 'data-count="moderation-total">1<' in html(client.get(HOME))
        review = html(client.get(reverse("office:review", args=[first.number])))
        assert "Зарегистрировать и опубликовать" not in review


def test_the_deadline_text_follows_the_minute_and_the_day(
    client, moderator, category, citizen, time_machine, monkeypatch
):
    """Nothing is saved when a deadline passes or a day begins: the pages are kept per minute (and the
    minute alone makes them stale here, not their time to live)."""
    from moderation import officecache

    monkeypatch.setattr(officecache, "CLOCK_SECONDS", 3600)
    message = submit(citizen, category)
    due = timezone.localtime(message.registration_due)
    midnight = due.replace(hour=0, minute=0, second=0, microsecond=0)
    assert due - midnight > timedelta(minutes=2)
    client.force_login(moderator)
    review = reverse("office:review", args=[message.number])

    time_machine.move_to(midnight - timedelta(seconds=30), tick=False)
    for _ in range(2):
        assert "badge-today" not in html(client.get(QUEUE))
        assert "badge-today" not in html(client.get(review))
    time_machine.move_to(midnight + timedelta(seconds=30), tick=False)  # the due day begins
    assert "badge-today" in html(client.get(QUEUE))
    assert "badge-today" in html(client.get(review))

    time_machine.move_to(due - timedelta(seconds=30), tick=False)
    assert "badge-overdue" not in html(client.get(QUEUE))
    time_machine.move_to(due + timedelta(minutes=1), tick=False)
    assert "badge-overdue" in html(client.get(QUEUE))
    assert "badge-overdue" in html(client.get(review))


def test_flash_messages_bypass_the_kept_pages(client, moderator, category, citizen):
    """The flash message is this request's: the page that shows it is neither served from nor kept.
    (No commit here, so the office version stays and the queue kept before the decision stays too.)"""
    first = submit(citizen, category, text="Первая яма")
    submit(citizen, category, text="Вторая яма")
    client.force_login(moderator)
    client.get(QUEUE)
    client.get(reverse("office:review", args=[first.number]))
    response = client.post(reverse("office:register", args=[first.number]), {"comment": ""})
    done = f"Сообщение № {first.number} зарегистрировано"
    shown = html(client.get(response["Location"]))
    assert done in shown
    # the flash message was read once and is on no later page, kept or not
    assert done not in html(client.get(response["Location"]))
    assert done not in html(client.get(QUEUE))


def test_the_csrf_token_is_put_in_per_request(moderator, category, citizen):
    from zarechny import guestpages

    message = submit(citizen, category)
    review = reverse("office:review", args=[message.number])
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    tokens = []
    for browser in browsers:
        browser.force_login(moderator)
        response = browser.get(review)
        page = html(response)
        assert guestpages.csrf_placeholder() not in page
        found = set(TOKEN.findall(page))
        assert len(found) == 1  # every form of the page (the logout button, the decisions) carries it
        tokens.append(found.pop())
    assert len(kept_pages()) == 1  # the second browser got the first one's page
    assert tokens[0] != tokens[1]
    # the token a kept page carried is accepted
    response = browsers[1].post(
        reverse("office:register", args=[message.number]), {"comment": "", "csrfmiddlewaretoken": tokens[1]}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == "registered"


def test_head_is_answered_from_the_kept_page(client, moderator, category, citizen):
    submit(citizen, category)
    client.force_login(moderator)
    assert client.head(QUEUE).status_code == 200
    assert client.get(QUEUE).status_code == 200
    assert client.head(QUEUE).status_code == 200


def test_a_kept_page_is_never_served_past_a_guard(client, moderator, category, citizen, settings):
    """The guards run for every request before the lookup, even when nothing bumped the version (an
    UPDATE sends no signal)."""
    submit(citizen, category)
    client.force_login(moderator)
    assert client.get(QUEUE).status_code == 200
    settings.STAFF_REQUIRE_MFA = True  # no authenticator enrolled: the second factor first
    assert client.get(QUEUE)["Location"] == reverse("mfa_activate_totp")
    settings.STAFF_REQUIRE_MFA = False
    Official.objects.filter(user=moderator).update(is_active=False)
    assert client.get(QUEUE).status_code == 403
    Official.objects.filter(user=moderator).update(is_active=True)
    assert client.get(QUEUE).status_code == 200
    type(moderator).objects.filter(pk=moderator.pk).update(is_active=False)
    assert client.get(QUEUE).status_code == 302  # to the login page
    client.logout()
    assert client.get(QUEUE).status_code == 302


def test_a_kept_page_follows_the_rights_read_this_request(client, supervisor):
    """The page key carries the official's role and organisation as the guard read them: a change that
    sent no signal (an UPDATE) does not serve a page kept under the old rights."""
    client.force_login(supervisor)
    overdue = reverse("office:overdue")
    for _ in range(2):
        assert client.get(overdue).status_code == 200
    Official.objects.filter(user=supervisor).update(role=Official.Role.MODERATOR)
    assert client.get(overdue).status_code == 403


def test_a_renamed_official_sees_the_new_name_at_once(client, moderator, category, citizen, committed):
    """The header's name is the account's, outside the office version's rows: an account's save bumps it."""
    submit(citizen, category)
    client.force_login(moderator)
    assert moderator.full_name in html(client.get(HOME))
    with committed():
        moderator.full_name = "Новое Имя Модератора"
        moderator.save()
    assert "Новое Имя Модератора" in html(client.get(HOME))


def test_a_removed_photo_leaves_the_review_page_at_once(client, moderator, category, citizen, committed):
    from tests.factories import processed_photos

    message = submit(citizen, category, photos=processed_photos(2))
    review = reverse("office:review", args=[message.number])
    client.force_login(moderator)
    assert "Фотографии (2)" in html(client.get(review))
    with committed():
        message.photos.first().delete()
    assert "Фотографии (1)" in html(client.get(review))


def test_an_answer_shows_at_once_on_the_review_page(
    client, moderator, executor, category, citizen, committed
):
    message = registered(citizen, category, moderator)
    review = reverse("office:review", args=[message.number])
    client.force_login(moderator)
    assert "Заделали к утру." not in html(client.get(review))
    with committed():
        services.message_answer(message=message, actor=executor, kind="solved", text="Заделали к утру.")
    assert "Заделали к утру." in html(client.get(review))


def test_without_the_shared_cache_pages_render_uncached(client, settings, moderator, category, citizen):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    message = submit(citizen, category)
    client.force_login(moderator)
    for path in (HOME, QUEUE, reverse("office:review", args=[message.number])):
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 200 and response.context is not None
    assert kept_pages() == []


def _remarks_world(citizen, category, moderator, executor, rows):
    for i in range(rows):
        message = registered(citizen, category, moderator, text=f"Яма {i}")
        services.message_request_reassign(message=message, actor=executor, comment="Не наше")


PAGES = [
    ("office:home", "moderator"),
    ("office:moderation_queue", "moderator"),
    ("office:moderation_queue", "supervisor"),
    ("office:answer_queue", "executor"),
    ("office:overdue", "supervisor"),
    ("office:remarks_queue", "moderator"),
    ("office:reassign_requests", "moderator"),
    ("office:review", "moderator"),
]


@pytest.mark.parametrize("name,role", PAGES)
@pytest.mark.parametrize("rows", [2, 20])
def test_a_kept_page_costs_the_guards_queries_only(
    request, client, citizen, category, moderator, executor, name, role, rows
):
    """Session, user, official (with its organisation and whether it has an authenticator), the office
    version: nothing of the page itself, whatever the number of rows."""
    _remarks_world(citizen, category, moderator, executor, rows)
    waiting = submit(citizen, category)
    client.force_login(request.getfixturevalue(role))
    path = reverse(name, args=[waiting.number]) if name == "office:review" else reverse(name)
    response, queries, sql = page_queries(client, path, cold=False, whole=True)
    assert queries == 2 + shared_reads(), sql
    assert response.context is None
