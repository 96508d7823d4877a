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
