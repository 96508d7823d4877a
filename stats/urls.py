from django.urls import path

from . import control_views, views

app_name = "stats"
urlpatterns = [
    path("stats/", views.public_stats, name="public"),
    path("stats/<slug:table>.csv", views.public_csv, name="public_csv"),
    path("office/stats/", views.staff_stats, name="staff"),
    path("office/stats/messages/", views.staff_drilldown, name="staff_drilldown"),
    path("office/stats/control/", control_views.control_page, name="control"),
    path("office/stats/control/<slug:table>.csv", control_views.control_csv, name="control_csv"),
    path("office/stats/<slug:table>.csv", views.staff_csv, name="staff_csv"),
]
