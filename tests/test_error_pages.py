"""Russian error pages in the site's layout; 503 «Технические работы» when the database is down (issue 11, item 13)."""

import logging

import pytest
from django.test import Client, override_settings
from django.urls import path

from tests.outage import database_down  # noqa: F401 (a fixture)
from zarechny.urls import handler400, handler403, handler404, handler500  # noqa: F401 (used by urlconf below)


def _in_layout(response):
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "/static/css/site.css" in html
    assert "«Умный город» Заречный" in html
    return html


@pytest.mark.django_db
def test_404_is_russian_in_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Страница не найдена" in _in_layout(response)


@pytest.mark.django_db
def test_404_of_a_missing_message_hides_the_exception_text(client, citizen):
    client.force_login(citizen)  # a guest is sent to the login page for any well-formed number (issue 10.5)
    response = client.get("/m/2026-999999/")
    assert response.status_code == 404
    html = _in_layout(response)
    assert "Страница не найдена" in html and "matches the given query" not in html


def test_403_is_russian_with_the_reason(client, citizen):
    client.force_login(citizen)
    response = client.get("/office/stats/")
    assert response.status_code == 403
    html = _in_layout(response)
    assert "Доступ запрещён" in html
    assert "только ответственным должностным лицам" in html


@pytest.mark.django_db
def test_400_is_russian_in_the_layout(client):
    response = client.get("/messages/?q=%00")
    assert response.status_code == 400
    assert "Неверный запрос" in _in_layout(response)


@pytest.mark.django_db
def test_csrf_failure_is_russian_in_the_layout():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@b.ru", "password": "x"})
    assert response.status_code == 403
    html = _in_layout(response)
    assert "Форма устарела" in html and "CSRF" not in html


def _crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("crash/", _crash)]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_500_is_russian_in_the_layout(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.CRITICAL, logger="django.request"):
        response = client.get("/crash/")
    assert response.status_code == 500
    assert "На сервере произошла ошибка" in _in_layout(response)


@pytest.mark.usefixtures("database_down")
@pytest.mark.parametrize("url", ["/", "/messages/", "/m/2026-000001/", "/stats/"])
def test_database_down_is_a_503_maintenance_page(url, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.CRITICAL, logger="django.request"):
        response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    html = _in_layout(response)
    assert "Технические работы" in html
    assert "Server Error" not in html


@pytest.mark.django_db
@override_settings(
    ROOT_URLCONF=__name__,
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    },
)
def test_500_without_a_static_manifest_still_answers_in_russian(caplog, tmp_path, settings):
    # A release deployed before `collectstatic`: every {% static %} raises, the error page included.
    settings.STATIC_ROOT = tmp_path
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.CRITICAL, logger="django.request"):
        response = client.get("/crash/")
    assert response.status_code == 500
    assert "Ошибка на сервере" in response.content.decode()
