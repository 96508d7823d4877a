"""Site-wide middleware: private pages are not cached, NUL bytes are a 400 (issue 11, items 10, 11)."""

import pytest
from django.urls import reverse
from django.utils.cache import get_max_age

from tests.factories import processed_photos, submit


def _cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_private_pages_are_private_and_not_stored(client, citizen, category):
    unpublished = submit(citizen, category, photos=processed_photos(1))
    photo = unpublished.photos.get()
    client.force_login(citizen)
    for url in [
        reverse("portal:cabinet"),
        reverse("portal:profile"),
        reverse("portal:notifications"),
        reverse("portal:message", kwargs={"number": unpublished.number}),
        reverse("portal:photo", kwargs={"number": unpublished.number, "token": photo.token}),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert {"private", "no-store"} <= _cache_control(response), url
        assert "public" not in _cache_control(response)
        if response.streaming:  # the photo: read to the end, which closes the file
            # (not response.close(): it sends request_finished, which closes the test's connection)
            b"".join(response.streaming_content)


def test_guest_pages_stay_cacheable(client, db):
    response = client.get("/")
    assert "no-store" not in _cache_control(response)
    assert get_max_age(response) is None


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/m/2026%00/", "/messages/?q=%00", "/stats/?period=%00year", "/healthz?%00"])
def test_nul_bytes_are_a_400(client, url):
    assert client.get(url).status_code == 400
