from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.login import admin_login

from . import health, metrics

admin.site.site_header = "«Умный город» Заречный — администрирование"
admin.site.site_title = "«Умный город» Заречный"
admin.site.index_title = "Справочники и доступ"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),  # token or allowed address only, else 404
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
