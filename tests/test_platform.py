import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError

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


@pytest.mark.django_db
def test_readyz_is_503_with_reason_when_database_fails(client, monkeypatch):
    from zarechny import health

    def broken():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "_check_database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "connection refused" in response.json()["failed"]["database"]


def test_home_lists_topics_and_categories(client, reference_data, django_assert_max_num_queries):
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
