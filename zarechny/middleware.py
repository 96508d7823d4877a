"""Site-wide response headers and failure handling that no single view owns."""

from django.conf import settings
from django.core.exceptions import BadRequest


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
