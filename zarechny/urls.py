from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.decorators.http import require_safe

from accounts.login import admin_login

from . import health, metrics

admin.site.site_header = "«Умный город» Заречный — администрирование"
admin.site.site_title = "«Умный город» Заречный"
admin.site.index_title = "Справочники и доступ"


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon (issue 18.5).
    Resolved per request, so the static manifest (hashed name) is read only once it exists."""
    return HttpResponsePermanentRedirect(static_url("favicon.ico"))


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),  # token or allowed address only, else 404
    # Browsers ask for /favicon.ico whatever the page says: send them to the static one (issue 18.5).
    path("favicon.ico", favicon, name="favicon"),
    # Before the admin's own login: one login page for everyone, with the same limits (issue 11).
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("office/", include("moderation.urls")),
    path("", include("stats.urls")),
    path("", include("api.urls")),
    path("", include("portal.urls")),
    path("", include("portal.pages_urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Russian error pages in the site's layout, rendered without the database (zarechny/errors.py).
handler400 = "zarechny.errors.bad_request"
handler403 = "zarechny.errors.permission_denied"
handler404 = "zarechny.errors.page_not_found"
handler500 = "zarechny.errors.server_error"
