"""Error pages in Russian, in the site's layout (issue 11, item 13).

Rendered from a plain context, without the request's context processors: no session, no user, no
database. A page shown because the database is down must not need it, and none of them needs it.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

PLATFORM_NAME = "«Умный город» Заречный"
# Exceptions that mean the database cannot be reached (or the connection was lost): the site is
# down for maintenance rather than broken, so the answer is 503 «Технические работы», not a 500.
DATABASE_DOWN = (OperationalError, InterfaceError)


def _page(template, status, **context):
    html = loader.render_to_string(template, {"PLATFORM_NAME": PLATFORM_NAME, **context})
    return HttpResponse(html, status=status)


def bad_request(request, exception=None):
    return _page("400.html", 400)


def permission_denied(request, exception=None):
    # Our views raise PermissionDenied with a sentence for the person (e.g. who may see a page).
    reason = str(exception) if exception is not None and exception.args else ""
    return _page("403.html", 403, reason=reason)


def page_not_found(request, exception=None):
    # The exception's text is not shown: get_object_or_404's is English and names models.
    return _page("404.html", 404)


# The last resort when even the error page cannot be rendered (e.g. a release whose static manifest is
# missing makes every {% static %} raise): plain Russian text, no template, no static files.
FALLBACK = (
    '<!doctype html><html lang="ru"><meta charset="utf-8"><title>{title}</title>'
    "<h1>{title}</h1><p>Попробуйте открыть страницу позже.</p></html>"
)


def server_error(request):
    down = isinstance(sys.exc_info()[1], DATABASE_DOWN)
    try:
        response = _page("503.html", 503) if down else _page("500.html", 500)
    except Exception:
        title = "Технические работы" if down else "Ошибка на сервере"
        response = HttpResponse(FALLBACK.format(title=title), status=503 if down else 500)
    if down:
        response["Retry-After"] = "120"
    return response


def csrf_failure(request, reason=""):
    return _page("403_csrf.html", 403)
