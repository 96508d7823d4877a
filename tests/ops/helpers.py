"""Running manage.py as a server would (a subprocess with its own environment) against databases and
stores the tests create: a fresh PostgreSQL database next to the test database, or an SQLite file."""

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = sys.executable


def server_env(database_url, var_dir, **extra):
    """The environment of a server process: no pytest, its own VAR_DIR (stores, static, mail)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        VAR_DIR=str(var_dir),
        PRIVATE_MEDIA_ROOT=str(Path(var_dir) / "private"),
        MEDIA_ROOT=str(Path(var_dir) / "media"),
        DJANGO_SETTINGS_MODULE="zarechny.settings",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("REDIS_URL", None)
    env.setdefault("DEBUG", "1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(*args, env, timeout=300):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def _pg_params():
    params = connection.settings_dict
    return {
        "host": params.get("HOST") or "127.0.0.1",
        "port": int(params.get("PORT") or 5432),
        "user": params.get("USER") or "postgres",
        "password": params.get("PASSWORD") or None,
    }


def _pg_url(name):
    p = _pg_params()
    auth = quote(p["user"]) + (f":{quote(p['password'])}" if p["password"] else "")
    return f"postgres://{auth}@{p['host']}:{p['port']}/{name}"


@contextlib.contextmanager
def fresh_database(tmp_path, label):
    """A database URL of an empty database of the same kind as the test run's, dropped afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
        return
    import psycopg

    # Created from the test database's connection (never the `postgres` maintenance database).
    name = f"{connection.settings_dict['NAME']}_{label}_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect(dbname=connection.settings_dict["NAME"], autocommit=True, **_pg_params())
    try:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        yield _pg_url(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def table_count(database_url):
    """Tables in the database at `database_url` (0 for a missing SQLite file)."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        path = Path(database_url.removeprefix("sqlite:///"))
        if not path.exists():
            return 0
        with contextlib.closing(sqlite3.connect(path)) as db:
            return db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(dbname=name, **_pg_params()) as db:
        return db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
