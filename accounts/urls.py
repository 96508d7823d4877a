"""Account pages beyond allauth's. Included by messages/urls.py, so the names live in "portal:"."""

from django.urls import path

from . import views

urlpatterns = [
    path("cabinet/profile/", views.profile, name="profile"),
    path("cabinet/delete/", views.account_delete, name="account_delete"),
    path("personal-data/", views.consent_text, name="consent"),
]
