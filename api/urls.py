"""Open311 GeoReport v2 (/open311/v2/…, the format by extension as the spec does) and /opendata/."""

from django.urls import path, re_path

from . import views

app_name = "api"
FMT = r"\.(?P<fmt>[^/.]*)"
urlpatterns = [
    re_path(rf"^open311/v2/discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^open311/v2/services{FMT}$", views.service_list, name="services"),
    re_path(rf"^open311/v2/services/(?P<code>[^/]+?){FMT}$", views.service_definition, name="service"),
    re_path(rf"^open311/v2/requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^open311/v2/requests/(?P<request_id>[^/]+?){FMT}$", views.request_detail, name="request"),
    re_path(rf"^open311/v2/tokens/(?P<token>[^/]+?){FMT}$", views.token_detail, name="token"),
    path("opendata/", views.opendata_index, name="opendata"),
    path("opendata/<path:name>", views.opendata_file, name="opendata_file"),
]
