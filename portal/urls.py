from django.urls import include, path

from . import maps, views

app_name = "portal"
urlpatterns = [
    path("messages/", views.message_list, name="message_list"),
    path("lookup/", views.message_lookup, name="lookup"),
    path("map/", maps.public_map, name="map"),
    path("map/messages.geojson", maps.map_geojson, name="map_geojson"),
    path("submit/nearby/", maps.nearby, name="nearby"),
    path("submit/", views.submit, name="submit"),
    path("submit/done/<str:number>/", views.submitted, name="submitted"),
    path("m/<str:number>/", views.message_detail, name="message"),
    path("m/<str:number>/support/", views.message_support, name="support"),
    path("m/<str:number>/rate/", views.message_rate, name="rate"),
    path("m/<str:number>/follow/", views.message_follow, name="follow"),
    path("m/<str:number>/unfollow/", views.message_unfollow, name="unfollow_message"),
    path("unfollow/<str:token>/", views.unfollow_by_link, name="unfollow"),
    path("m/<str:number>/edit/", views.message_edit, name="edit"),
    path("m/<str:number>/photo/<uuid:token>/", views.photo, name="photo"),
    path("m/<str:number>/photo/<uuid:token>/thumb/", views.photo_thumb, name="photo_thumb"),
    path("m/<str:number>/photo/<uuid:token>/view/", views.photo_view, name="photo_view"),
    path("m/<str:number>/attachment/<uuid:token>/", views.attachment, name="attachment"),
    path("m/<str:number>/attachment/<uuid:token>/thumb/", views.attachment_thumb, name="attachment_thumb"),
    path("m/<str:number>/attachment/<uuid:token>/view/", views.attachment_view, name="attachment_view"),
    path("m/<str:number>/document/<uuid:token>/", views.document, name="document"),
    path("cabinet/", views.cabinet, name="cabinet"),
    path("cabinet/notifications/", views.notifications, name="notifications"),
    # Profile, account deletion and the consent text (portal/account_urls.py), in this namespace.
    path("", include("portal.account_urls")),
]
