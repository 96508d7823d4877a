"""Site-wide response headers and failure handling that no single view owns."""

from django.conf import settings


def permissions_policy(get_response):
    """Send Permissions-Policy (browser features the site may use) on every response."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
