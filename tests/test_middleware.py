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


# --- what every request pays for (issue 14) ----------------------------------------------------------


def test_the_csp_header_is_django_csps_policy_and_follows_the_settings(client, settings):
    from csp.utils import build_policy

    assert client.get("/healthz").headers["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/healthz").headers["Content-Security-Policy"] == "default-src 'none'"
    assert "Content-Security-Policy-Report-Only" not in client.get("/healthz").headers
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    report_only = client.get("/healthz").headers["Content-Security-Policy-Report-Only"]
    assert report_only == build_policy(report_only=True) and "img-src 'self'" in report_only


def test_the_site_speaks_russian_whatever_the_browser_asks(client, db):
    """LocaleMiddleware is gone (one language): a browser asking for English still gets Russian."""
    from django.conf import settings

    assert "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Пароль" in page and "Password" not in page


def test_the_staff_guard_reverses_its_prefixes_once(django_assert_num_queries):
    from zarechny.staff_mfa import _guarded_prefixes, guarded_prefixes

    _guarded_prefixes.cache_clear()
    assert guarded_prefixes() == ("/office/", "/admin/")
    guarded_prefixes()
    assert _guarded_prefixes.cache_info().hits == 1
