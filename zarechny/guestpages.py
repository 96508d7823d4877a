"""Whole pages kept for plain guests, shared by the faces that keep them (portal's home and message pages, the
public statistics): who counts as a plain guest, and the CSRF token a kept page's forms get per request.
The keeping itself is each face's (portal/pagecache.py, stats/views.py).
"""

from django.conf import settings
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac


def plain_guest(request) -> bool:
    """A visitor whose page is the same as every other plain guest's: no cookie but the CSRF one (no
    session, hence no login and no flash message; no guest support token), not logged in."""
    return set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME} and not request.user.is_authenticated


def csrf_placeholder() -> str:
    """What stands for the CSRF token in a kept page: the same in every process of the site (a page is
    kept by one and served by another) and nothing a message's text can spell (derived from the secret
    key; hex digits only, so no escaping changes it)."""
    return "csrf" + salted_hmac("portal.pagecache.csrf", "placeholder").hexdigest()[:32]


def with_csrf_token(request, content: bytes) -> bytes:
    """A kept page with this visitor's CSRF token in its forms (the token, and its cookie, only where a
    form needs one)."""
    placeholder = csrf_placeholder().encode()
    if placeholder not in content:
        return content
    return content.replace(placeholder, get_token(request).encode())
