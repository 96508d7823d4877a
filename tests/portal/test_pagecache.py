"""Shared fragments of the public pages (issue 14, portal/pagecache.py): reused while nothing changed,
rebuilt after the events that change them, never holding anything private or per-person."""

import pickle
import re

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from directory.models import Category, Organization
from messages import services
from messages.models import Message
from portal import pagecache
from tests.factories import answered, registered, submit
from tests.sharedcache import shared_cache_queries
from zarechny import guestpages

pytestmark = pytest.mark.django_db
LIST = "/messages/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the per-IP guest limit and the versions live in the shared cache
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the block leaves for after the commit, as the commit of a real request would (the test's
    own transaction never commits): the versions are bumped on commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def page_url(message):
    return f"/m/{message.number}/"


def stored_values():
    return [pickle.loads(value) for value in caches["pages"]._cache.values()]


def stored_fragments():
    """The rendered fragments the process keeps, as text."""
    return [value for value in stored_values() if isinstance(value, str)]


def stored_messages():
    """The guests' copies of public messages the process keeps."""
    return [value for value in stored_values() if isinstance(value, Message)]


def test_list_body_is_reused_until_a_message_is_published(client, citizen, moderator, category, committed):
    first = registered(citizen, category, moderator, text="Первая яма")
    assert "Первая яма" in client.get(LIST).content.decode()
    assert len(stored_fragments()) == 1
    second = submit(citizen, category, text="Вторая яма")
    # Not public yet; whether the fragment is rebuilt or not, the private text never shows.
    assert "Вторая яма" not in client.get(LIST).content.decode()
    with committed():
        services.message_register(message=second, actor=moderator)
    body = client.get(LIST).content.decode()
    assert "Вторая яма" in body and first.number in body


def test_list_is_rebuilt_after_a_support_an_answer_and_a_rating(
    client, citizen, other_citizen, moderator, executor, category, committed
):
    message = registered(citizen, category, moderator)
    assert "поддержали: 0" in client.get(LIST).content.decode()
    with committed():
        services.message_support(message=message, user=other_citizen)
    assert "поддержали: 1" in client.get(LIST).content.decode()
    with committed():
        services.message_answer(message=message, actor=executor, kind="solved", text="Сделано.")
    assert "badge state-answered" in client.get(LIST).content.decode()
    with committed():
        services.message_rate(message=message, actor=citizen, positive=True)
    assert "badge state-closed" in client.get(LIST).content.decode()


def test_reference_data_change_rebuilds_home_list_and_message_page(
    client, citizen, moderator, category, committed
):
    message = registered(citizen, category, moderator)
    for url in ("/", LIST, page_url(message)):
        assert "Ямы на дорогах" in client.get(url).content.decode()
    Category.objects.filter(pk=category.pk).update(name="ignored")  # no signal: proves the cache is used
    assert "Ямы на дорогах" in client.get("/").content.decode()
    category.refresh_from_db()
    category.name = "Выбоины на дорогах"
    with committed():
        category.save()
    for url in ("/", LIST, page_url(message)):
        assert "Выбоины на дорогах" in client.get(url).content.decode(), url


def test_organisation_rename_rebuilds_the_answer_fragment(
    client, citizen, moderator, executor, category, committed
):
    message = answered(citizen, category, moderator, executor)
    assert "Администрация" in client.get(page_url(message)).content.decode()
    organization = Organization.objects.get(key="adm")
    organization.short_name = "Мэрия"
    with committed():
        organization.save()
    assert "Мэрия" in client.get(page_url(message)).content.decode()


def test_message_page_fragment_is_rebuilt_after_an_answer(
    client, citizen, moderator, executor, category, committed
):
    message = registered(citizen, category, moderator)
    assert "Ответы" not in client.get(page_url(message)).content.decode()
    with committed():
        services.message_answer(
            message=message, actor=executor, kind="solved", text="Яма заделана асфальтом."
        )
    assert "Яма заделана асфальтом." in client.get(page_url(message)).content.decode()


def test_author_name_change_rebuilds_the_message_page(client, citizen, moderator, category, committed):
    from accounts import services as account_services

    message = registered(citizen, category, moderator, show_author_name=True)
    assert "Алиса Иванова" in client.get(page_url(message)).content.decode()
    with committed():
        account_services.profile_update(user=citizen, full_name="Алиса Петрова", show_name_publicly=True)
    body = client.get(page_url(message)).content.decode()
    assert "Алиса Петрова" in body and "Алиса Иванова" not in body
    with committed():
        account_services.account_delete(user=citizen)
    assert "Алиса" not in client.get(page_url(message)).content.decode()


def test_signed_in_person_gets_their_own_header_and_support_state(
    client, citizen, other_citizen, moderator, category
):
    message = registered(citizen, category, moderator)
    guest_list = client.get(LIST).content.decode()
    guest_page = client.get(page_url(message)).content.decode()
    assert "Войти" in guest_list and "Поддержать" in guest_page
    services.message_support(message=message, user=other_citizen)
    client.force_login(other_citizen)
    page = client.get(page_url(message)).content.decode()
    assert "Вы поддержали это сообщение." in page and "Войти" not in page and "Выйти" in page
    listing = client.get(LIST).content.decode()
    assert "Выйти" in listing and "Войти" not in listing and message.number in listing


def test_author_sees_their_own_timeline_and_rating_form_but_nobody_else_does(
    client, citizen, other_citizen, moderator, executor, category
):
    # «сообщение поступило» opens every public timeline since issue 18.4; the rating form stays the author's.
    message = answered(citizen, category, moderator, executor)
    guest = client.get(page_url(message)).content.decode()
    assert "Оцените ответ" not in guest
    client.force_login(citizen)
    author = client.get(page_url(message)).content.decode()
    assert "Оцените ответ" in author
    client.force_login(other_citizen)
    other = client.get(page_url(message)).content.decode()
    assert "Оцените ответ" not in other
    client.logout()
    assert "Оцените ответ" not in client.get(page_url(message)).content.decode()


def test_nothing_private_or_personal_is_kept_in_the_shared_fragments(
    client, citizen, other_citizen, moderator, executor, category
):
    public = answered(citizen, category, moderator, executor, text="Открытая яма")
    private = submit(citizen, category, text="Секретный текст на модерации")
    client.force_login(citizen)
    for url in ("/", LIST, page_url(public), page_url(private), LIST + "?q=Секретный"):
        assert client.get(url).status_code == 200
    client.force_login(other_citizen)
    services.message_support(message=public, user=other_citizen)
    client.get(page_url(public))
    client.logout()
    client.get(page_url(public))
    [copy] = stored_messages()
    assert copy.author_id is None and copy.client_token is None
    assert citizen.email not in repr(vars(copy)) and "_state" in vars(copy)
    fragments = stored_fragments()
    assert fragments
    joined = "\n".join(fragments)
    assert "Открытая яма" in joined
    for secret in (
        "Секретный текст на модерации",  # an unpublished message
        private.number,
        "Оцените ответ",
        "Вы поддержали",  # a person's support state
        "csrfmiddlewaretoken",
        citizen.email,
        other_citizen.email,
        "Выйти",  # the signed-in header
    ):
        assert secret not in joined, secret


def test_without_the_shared_cache_pages_render_uncached(client, settings, citizen, moderator, category):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    message = registered(citizen, category, moderator, text="Яма без кэша")
    assert pagecache.versions(pagecache.PUBLIC) is None
    for url in ("/", LIST, page_url(message)):
        assert client.get(url).status_code == 200
    assert "Яма без кэша" in client.get(LIST).content.decode()
    assert stored_values() == []


def test_a_guest_sees_a_new_support_count_at_once(
    client, citizen, other_citizen, moderator, category, committed
):
    message = registered(citizen, category, moderator)
    assert "<strong>0</strong> <span>поддержали</span>" in client.get(page_url(message)).content.decode()
    assert len(stored_messages()) == 1
    with committed():
        services.message_support(message=message, user=other_citizen)
    assert "<strong>1</strong> <span>поддержали</span>" in client.get(page_url(message)).content.decode()


def test_a_login_keeps_the_public_version_a_name_change_does_not(client, citizen, committed):
    from accounts import services as account_services

    before = pagecache.versions(pagecache.PUBLIC)
    with committed():
        client.force_login(citizen)  # saves last_login
    assert pagecache.versions(pagecache.PUBLIC) == before
    with committed():
        account_services.profile_update(user=citizen, full_name="Алиса Петрова", show_name_publicly=True)
    assert pagecache.versions(pagecache.PUBLIC) != before


def test_footer_links_are_there(client):
    body = client.get("/").content.decode()
    assert 'href="/rules/">регламенту</a>' in body
    assert 'href="/personal-data/">Обработка персональных данных</a>' in body


def test_a_remarks_decision_shows_on_the_cached_guest_page_at_once(
    client, citizen, moderator, executor, category, committed
):
    """§7.2–7.3 with the shared fragments: the guest page cached while the remarks wait shows the
    moderator's decision on the next request, and a later «не публиковать» takes them off at once."""
    message = answered(citizen, category, moderator, executor)
    with committed():
        services.message_rate(
            message=message, actor=citizen, positive=False, remarks="Яма осталась у дома 5."
        )
    rating = message.answers.get().rating
    assert "на проверке у модератора" in client.get(page_url(message)).content.decode()
    with committed():
        services.rating_remarks_review(rating=rating, actor=moderator, decision="publish")
    assert "Яма осталась у дома 5." in client.get(page_url(message)).content.decode()
    with committed():
        services.rating_remarks_review(rating=rating, actor=moderator, decision="hide")
    body = client.get(page_url(message)).content.decode()
    assert "Яма осталась у дома 5." not in body and "не публикуются" in body


def kept_page(message):
    """The whole page kept for plain guests in the shared cache, as text (None when there is none)."""
    entry = cache.get(f"portal:message-page:{message.number}")
    return None if entry is None else entry[1].decode()


def test_a_plain_guest_gets_the_whole_page_from_one_read_of_the_shared_cache(
    client, citizen, moderator, category
):
    message = registered(citizen, category, moderator, text="Яма у остановки")
    first = client.get(page_url(message)).content.decode()
    with CaptureQueriesContext(connection) as context:
        again = client.get(page_url(message)).content.decode()
    # No query but the shared cache's one read (a query of the database cache, none with Redis)
    assert len(context.captured_queries) == shared_cache_queries(reads=1)
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", first) == token.sub("", again) and "Яма у остановки" in again
    kept = kept_page(message)
    assert "Яма у остановки" in kept and "Поддержать" in kept
    # No visitor's CSRF token is kept: a placeholder stands in the form, every visitor gets their own.
    assert guestpages.csrf_placeholder() in kept and guestpages.csrf_placeholder() not in again


def test_the_kept_guest_page_changes_at_once_after_an_answer_and_a_support(
    client, citizen, other_citizen, moderator, executor, category, committed
):
    message = registered(citizen, category, moderator)
    client.get(page_url(message))
    assert "<strong>0</strong> <span>поддержали</span>" in client.get(page_url(message)).content.decode()
    with committed():
        services.message_support(message=message, user=other_citizen)
    assert "<strong>1</strong> <span>поддержали</span>" in client.get(page_url(message)).content.decode()
    with committed():
        services.message_answer(message=message, actor=executor, kind="solved", text="Яма заделана.")
    assert "Яма заделана." in client.get(page_url(message)).content.decode()


def test_guest_support_works_from_the_kept_page_with_csrf_checks(
    client, citizen, moderator, category, committed
):
    """The guest's support flow with Django's CSRF checks on: the page from the shared cache carries a
    token that matches the cookie it sets; after the support the guest (now with a support cookie) sees
    their own state, never a kept page, and other guests see the new count."""
    message = registered(citizen, category, moderator)
    Client().get(page_url(message))  # another guest makes the page kept
    assert kept_page(message) is not None
    guest = Client(enforce_csrf_checks=True)
    page = guest.get(page_url(message))
    assert "csrftoken" in page.cookies
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    with committed():
        response = guest.post(f"/m/{message.number}/support/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.support_count == 1
    mine = guest.get(page_url(message)).content.decode()
    assert "Вы поддержали это сообщение." in mine
    assert "Вы поддержали" not in kept_page(message)
    other = Client().get(page_url(message)).content.decode()
    assert "<strong>1</strong> <span>поддержали</span>" in other and "Вы поддержали" not in other
    assert Client(enforce_csrf_checks=True).post(f"/m/{message.number}/support/").status_code == 403


def test_a_closed_message_page_sets_no_csrf_cookie(client, citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=True)
    for _ in range(2):  # rendered, then kept
        response = client.get(page_url(message))
        assert "csrftoken" not in response.cookies and "csrfmiddlewaretoken" not in response.content.decode()


def test_no_page_is_kept_for_a_signed_in_person_or_an_unpublished_message(
    client, citizen, other_citizen, moderator, category
):
    private = submit(citizen, category, text="Секретный текст на модерации")
    assert client.get(page_url(private)).status_code == 302  # a guest is asked to log in
    assert kept_page(private) is None
    public = registered(citizen, category, moderator)
    client.force_login(other_citizen)
    assert "Выйти" in client.get(page_url(public)).content.decode()
    assert kept_page(public) is None
    client.force_login(citizen)
    client.get(page_url(private))
    assert kept_page(private) is None


def kept_home():
    from portal.pages import HOME_PAGE_KEY

    entry = cache.get(HOME_PAGE_KEY)
    return None if entry is None else entry[1].decode()


def test_a_plain_guest_gets_the_home_page_from_one_read_of_the_shared_cache(client, category, committed):
    first = client.get("/").content.decode()
    assert "Ямы на дорогах" in kept_home()
    with CaptureQueriesContext(connection) as context:
        again = client.get("/").content.decode()
    assert len(context.captured_queries) == shared_cache_queries(reads=1)  # the page's one read, no query
    assert again == first
    Category.objects.filter(pk=category.pk).update(name="ignored")  # no signal: proves the page is kept
    assert "Ямы на дорогах" in client.get("/").content.decode()
    category.refresh_from_db()
    category.name = "Выбоины на дорогах"
    with committed():
        category.save()
    assert "Выбоины на дорогах" in client.get("/").content.decode()
    assert "Выбоины на дорогах" in kept_home()


def test_a_signed_in_person_never_gets_or_leaves_a_kept_home_page(client, citizen, category):
    client.force_login(citizen)
    mine = client.get("/").content.decode()
    assert "Выйти" in mine and kept_home() is None
    Client().get("/")  # a guest keeps the page
    assert "Выйти" not in kept_home()
    assert "Выйти" in client.get("/").content.decode()  # the signed-in person still gets their own header
