import pytest


@pytest.fixture
def as_user(client):
    """as_user(user) logs the test client in as that user and returns the client."""

    def _as(user):
        client.force_login(user)
        return client

    return _as


def submit_at(author, category, *, text, address, latitude=None, longitude=None, now=None):
    """Like tests.factories.submit, with the place chosen by the test (for the duplicate search)."""
    from datetime import timedelta

    from django.utils import timezone

    from messages import services

    now = now or timezone.now()
    return services.message_submit(
        author=author,
        category=category,
        text=text,
        occurred_at=now - timedelta(hours=1),
        address=address,
        latitude=latitude,
        longitude=longitude,
        now=now,
    )


def forget_kept_pages():
    """Drop the whole pages kept per official (moderation.officecache.kept_page), leaving the parts: the
    page is rendered again around its kept counts, hints and forms."""
    from django.core.cache import caches

    store = caches["pages"]
    for made in [made for made in store._cache if ":page:" in made]:
        del store._cache[made]
        del store._expire_info[made]


def page_queries(client, path, *, cold, whole=False):
    """The queries of one GET of a staff page (issue 14): `cold` with nothing kept per official (counts,
    duplicate hints, the filter form: moderation/officecache.py), else with them kept and the page
    rendered around them; `whole` with the page itself kept (officecache.kept_page). The first GET only
    makes the shared versions exist (in the tests' database cache, reading them is one query; with Redis,
    none). Returns (response, number of queries, their SQL)."""
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    if cold:
        caches["pages"].clear()
    elif not whole:
        forget_kept_pages()
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    return response, len(context.captured_queries), [q["sql"] for q in context.captured_queries]
