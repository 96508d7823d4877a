"""The portal's account pages beyond allauth's. Included by portal/urls.py, so the names live in "portal:"."""

from django.urls import path

from . import account_views as views

urlpatterns = [
    path("cabinet/profile/", views.profile, name="profile"),
    path("cabinet/delete/", views.account_delete, name="account_delete"),
    path("cabinet/apps/", views.api_clients, name="api_clients"),
    path("personal-data/", views.consent_text, name="consent"),
]
