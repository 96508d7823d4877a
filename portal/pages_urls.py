from django.urls import path

from . import pages as views

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("faq/", views.faq, name="faq"),
    path("rules/", views.rules, name="rules"),
]
