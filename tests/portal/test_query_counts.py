"""Queries per public page stay the same whatever the number of messages (issue 14).

Each page is asked twice: with its shared fragment missing (it is rendered: the data queries) and
present (only the versions are read: one read of the shared cache, a query of the database cache, none
with Redis: tests/sharedcache.py). The numbers are the same for 3 and 30 messages, on SQLite and on
PostgreSQL, with and without Redis."""

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messages import services
from tests.factories import answered, processed_photos, registered
from tests.sharedcache import shared_cache_queries

pytestmark = pytest.mark.django_db

# Rendering a list: count (bounded), page, and the filter form's topic, category and organisation
# choices (and the versions, read from the shared cache). A category or organisation filter looks its
# value up once more.
LIST_PAGES = {
    "first page": ({}, 5),
    "one category": ({"category": "potholes"}, 6),
    "one organisation": ({"organization": "adm"}, 6),
    "text search": ({"q": "яма"}, 5),
    "most supported": ({"sort": "supported"}, 5),
    "second page": ({"page": 2}, 5),
    "deep page": ({"page": 500}, 5),
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=[3, 30], ids=["3 messages", "30 messages"])
def messages(request, citizen, other_citizen, moderator, executor, category):
    made = []
    for i in range(request.param):
        if i % 3 == 0:
            made.append(answered(citizen, category, moderator, executor, text=f"Яма номер {i}"))
        else:
            made.append(
                registered(citizen, category, moderator, text=f"Ямы во дворе {i}", photos=processed_photos(1))
            )
    services.message_support(message=made[0], user=other_citizen)
    return made


def queries(client, url, params=None, *, cold, page_key=None):
    client.get(url, params)  # the versions exist from here on
    if cold:
        caches["pages"].clear()
        if page_key:  # a whole page kept in the shared cache (the message page of a plain guest)
            cache.delete(page_key)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("label", LIST_PAGES)
def test_public_list_queries(client, messages, label):
    params, rendered = LIST_PAGES[label]
    assert queries(client, "/messages/", params, cold=True) == rendered + shared_cache_queries(reads=1)
    assert queries(client, "/messages/", params, cold=False) == shared_cache_queries(reads=1)


def test_home_queries(client, messages):
    # A guest: topics, their categories; of the shared cache: the kept page with the version, the version
    # again, and keeping the page; then the whole page in one read.
    assert queries(client, "/", cold=True, page_key="portal:home-page") == 2 + shared_cache_queries(
        reads=2, sets=1
    )
    assert queries(client, "/", cold=False) == shared_cache_queries(reads=1)


def test_message_page_queries(client, messages, other_citizen):
    answered_message = messages[0]
    url = f"/m/{answered_message.number}/"
    page_key = f"portal:message-page:{answered_message.number}"
    # A guest: the message (kept for guests until anything public changes), photos, answers, their
    # attachments and documents (§6.3), the timeline; of the shared cache: the kept page with the
    # versions, versions, versions again, and keeping the page. Then the whole page with the versions in
    # one read of the shared cache.
    assert queries(client, url, cold=True, page_key=page_key) == 6 + shared_cache_queries(reads=3, sets=1)
    assert queries(client, url, cold=False) == shared_cache_queries(reads=1)
    client.force_login(other_citizen)
    # The user, the header's unread notices and back-office check, the message, the own support, whether
    # they follow it (issue 15.5), rendered: photos, answers, their attachments and documents, the
    # timeline; of the shared cache: the session, the versions
    assert queries(client, url, cold=True) == 11 + shared_cache_queries(sessions=1, reads=1)
    assert queries(client, url, cold=False) == 6 + shared_cache_queries(sessions=1, reads=1)
