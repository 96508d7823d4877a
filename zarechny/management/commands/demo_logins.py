"""`manage.py demo_logins --wait`: the demo logins, printed once the web server and the worker are up.

`make run` starts it beside the web server and the worker (the `logins` line of the Procfile), so the logins
are the last thing on the console instead of scrolling away under the start-up lines. It never exits on its
own (honcho stops every process when one exits); with DEBUG off it prints nothing.
"""

import signal
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from directory.models import Official
from zarechny.management.commands.bootstrap import DEMO_CITIZENS, DEMO_OFFICIAL_ROWS, DEMO_PASSWORD


def demo_login_lines():
    """(address, what) for each demo account that exists now, in the order `bootstrap --demo` prints them."""
    from accounts.models import User

    lines = []
    officials = Official.objects.select_related("user").filter(appendix_row__in=DEMO_OFFICIAL_ROWS)
    by_row = {official.appendix_row: official for official in officials}
    for row, what in DEMO_OFFICIAL_ROWS.items():
        if row in by_row:
            user = by_row[row].user
            lines.append((user.email, f"{user.full_name} — {what}"))
    existing = set(
        User.objects.filter(email__in=[e for e, _ in DEMO_CITIZENS]).values_list("email", flat=True)
    )
    lines += [(email, f"{name} — житель") for email, name in DEMO_CITIZENS if email in existing]
    return lines


def _web_is_up(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _worker_is_up():
    from django_q.status import Stat

    try:
        return bool(Stat.get_all())
    except Exception:  # the broker not answering yet is "not up yet"
        return False


class Command(BaseCommand):
    help = "Print the demo logins (after the web server and the worker answer, with --wait)."

    def add_arguments(self, parser):
        parser.add_argument("--wait", action="store_true", help="wait for web + worker, print, then idle")
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args, wait=False, timeout=60.0, **options):
        if wait:
            deadline = time.monotonic() + timeout
            health = f"http://127.0.0.1:{settings.WEB_PORT}/healthz"
            while time.monotonic() < deadline and not (_web_is_up(health) and _worker_is_up()):
                time.sleep(0.5)
            time.sleep(1.0)  # the last start-up lines of the other processes come first
        if settings.DEBUG:
            self.stdout.write("")
            self.stdout.write(
                f"Откройте {settings.SITE_URL}/  (рабочий кабинет: /office/, администрирование: /admin/)"
            )
            if "filebased" in settings.EMAIL_BACKEND:
                self.stdout.write(f"Письма складываются в {settings.EMAIL_FILE_PATH}/")
            self.stdout.write(self.style.SUCCESS(f"Демонстрационные входы (пароль у всех: {DEMO_PASSWORD}):"))
            for email, what in demo_login_lines():
                self.stdout.write(f"  {email:<45} {what}")
        self.stdout.flush()
        if wait:
            while True:  # honcho ends every process when one exits
                signal.pause()
