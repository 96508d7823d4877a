"""Issue 10.5: e-mail links follow the port `make run` serves on; the embedded SQLite database is shared by
the web server and the worker without «database is locked»."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLEARED = {"SITE_URL", "PORT", "WEB_PORT", "DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}


def _python(code, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    # DEBUG as `make run` sets it: without it the settings demand production secrets.
    env.update({"DEBUG": "1", **env_overrides}, DJANGO_SETTINGS_MODULE="zarechny.settings")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SITE_URL = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"


def test_site_url_follows_the_port():
    assert _python(SITE_URL) == "http://127.0.0.1:8000"
    assert _python(SITE_URL, PORT="8123") == "http://127.0.0.1:8123"
    # The worker under honcho gets its own PORT; the web port comes as WEB_PORT.
    assert _python(SITE_URL, PORT="8223", WEB_PORT="8123") == "http://127.0.0.1:8123"
    assert _python(SITE_URL, PORT="8123", SITE_URL="https://city.example/") == "https://city.example"


def test_make_run_passes_its_port_to_web_and_worker():
    printed = subprocess.run(
        ["make", "-s", "PORT=8123", "--eval=h1_port: ; @echo $$WEB_PORT", "h1_port"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k not in CLEARED},
    )
    assert printed.stdout.strip() == "8123", printed.stderr
    worker = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    command = worker.split(":", 1)[1].replace(".venv/bin/python manage.py qcluster", "printenv WEB_PORT")
    # honcho starts the worker (the second process) with PORT = web port + 100.
    shell = subprocess.run(["sh", "-c", command], env={"PORT": "8223"}, capture_output=True, text=True)
    assert shell.stdout.strip() == "8123"


def test_sqlite_file_database_uses_wal_and_immediate_transactions(tmp_path):
    code = """
        import django; django.setup()
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            print(cursor.fetchone()[0], connection.transaction_mode)
    """
    assert _python(code, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}") == "wal IMMEDIATE"


def test_concurrent_writers_on_sqlite_do_not_see_database_is_locked(tmp_path):
    """Eight threads, each with its own connection (the web server's requests and the worker's tasks),
    each reading and then writing in one transaction, as the services do."""
    code = """
        import threading, time
        import django; django.setup()
        from django.db import connection, transaction

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (1, 0)")
        connection.close()
        errors, barrier = [], threading.Barrier(8)

        def work():
            try:
                barrier.wait()
                for _ in range(5):
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT n FROM counter WHERE id = 1")
                        n = cursor.fetchone()[0]
                        time.sleep(0.01)
                        cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with connection.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            print(cursor.fetchone()[0], errors)
    """
    # Every increment counted: no lost update and no «database is locked».
    assert _python(code, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}") == "40 []"
