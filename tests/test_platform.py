import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.outage import database_down  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent


def _start(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "zarechny.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"DEBUG": "0", "ALLOWED_HOSTS": "city.example"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS must be set"),
    ],
)
def test_production_start_refuses_missing_secrets(overrides, complaint):
    result = _start(overrides)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_start_with_secrets_works():
    result = _start({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "city.example"})
    assert result.returncode == 0, result.stderr


def test_healthz_needs_no_database(client):
    # No django_db mark: pytest-django would fail this test on any database access.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_reports_database_and_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


@pytest.mark.usefixtures("database_down")
def test_readyz_is_503_without_details_when_database_is_down(client, caplog):
    # Issue 11, item 11: the public answer is ok / not ok; host names and ports go to the log only.
    with caplog.at_level(logging.ERROR, logger="zarechny.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    body = response.content.decode()
    assert "127.0.0.1" not in body and "nonexistent" not in body and "port" not in body.lower()
    assert "readyz: the database check failed" in caplog.text
    assert "127.0.0.1" in caplog.text or "unable to open database file" in caplog.text


def test_home_lists_topics_and_categories(client, reference_data, django_assert_max_num_queries):
    from django.core.cache import caches

    client.get("/")  # creates the shared fragments' versions (once per cache, portal/pagecache.py)
    caches["pages"].clear()
    with django_assert_max_num_queries(4):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Дороги и транспорт" in body and "Ямы на дорогах" in body and "Наказ депутату" in body


def test_directory_lists_organisations_with_their_categories(
    client, reference_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get("/organizations/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "МП «Горэлектросеть»" in body
    assert "Освещение" in body
    # Administrators of the access system are not shown to the public as message handlers.
    assert "Асылгареев" not in body
    assert client.post("/organizations/").status_code == 405
