"""Site-wide response headers and failure handling that no single view owns."""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils.cache import patch_cache_control


def permissions_policy(get_response):
    """Send Permissions-Policy (browser features the site may use) on every response."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def reject_nul_bytes(get_response):
    """Answer 400 to a NUL byte in the path or the query string.

    No URL or parameter of the site can contain one, and PostgreSQL refuses it in any query (a
    ValueError deep inside the view, i.e. a 500), so it is refused once, before any view runs.
    """

    def middleware(request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            raise BadRequest("NUL byte in the request line")
        return get_response(request)

    return middleware


def private_cache_control(get_response):
    """`Cache-Control: private, no-store` on every response to a signed-in person.

    Such pages carry the person's name, their cabinet, notices, unpublished messages and photos; a
    shared proxy or the browser's back-button cache must not keep them. Pages of guests stay cacheable.
    """

    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def content_security_policy(get_response):
    """Content-Security-Policy (and -Report-Only, if configured) on every response, from the settings in
    django-csp's format, built by django-csp's own builder.

    The policy is the same for every response: the site has no inline script or style (so no nonce) and
    no view changes it. django-csp's middleware rebuilds it twice per response all the same, which was
    the largest single cost of /healthz (issue 14); here it is built once per value of the settings.
    """
    built = {}

    def policy(name, report_only):
        config = getattr(settings, name, None)
        if not config:
            return ""
        if built.get(name, (None,))[0] is not config:  # first use, or the setting was replaced (tests)
            built[name] = (config, build_policy(report_only=report_only))
        return built[name][1]

    def middleware(request):
        response = get_response(request)
        for header, name, report_only in (
            (HEADER, "CONTENT_SECURITY_POLICY", False),
            (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
        ):
            value = policy(name, report_only)
            if value and header not in response:
                response.headers[header] = value
        return response

    return middleware
