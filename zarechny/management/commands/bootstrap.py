"""`manage.py bootstrap [--demo | --check]`: reference data, schedules and (on a laptop) demo accounts and messages.

Reference data is only seeded where it is missing (directory/loader.py): what an administrator changed
survives every run. Schedules are code and are created or updated on every run.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError

from accounts import services as accounts_services
from directory.loader import load_reference_data, reference_data_differences
from directory.models import Official
from messages.services.transactions import services_in_one_transaction

DEMO_PASSWORD = "zarechny-demo"
# Appendix 2 rows that get a known password in demo mode: one person per role worth trying.
DEMO_OFFICIAL_ROWS = {
    1: "модератор: Администрация, дороги, ЖКХ, благоустройство",
    3: "исполнитель: Администрация, «Ямы на дорогах»",
    15: "модератор, который и отвечает: МП «Горэлектросеть», «Освещение»",
    24: "исполнитель: МУП ЖСКХ, «Проблемы ЖКХ»",
    18: "мониторинг работы платформы (все категории)",
    21: "администратор (/admin/)",
}
DEMO_CITIZENS = [
    ("citizen@demo.zarechny.local", "Иванова Анна Петровна"),
    ("citizen2@demo.zarechny.local", "Петров Сергей Иванович"),
]


class Command(BaseCommand):
    help = (
        "Seed the missing rows of Appendix 2 and the topic tree (never changes existing ones), create the "
        "worker schedules; with --demo also demo accounts and messages; with --check only list differences."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="demo passwords and messages (DEBUG only)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="list where the database differs from fixtures/, writing nothing",
        )

    def handle(self, *args, demo=False, check=False, **options):
        if check:
            self._check()
            return
        if demo and not settings.DEBUG:
            raise CommandError("bootstrap --demo sets known passwords and refuses to run with DEBUG off.")
        self._update_site()
        report = load_reference_data()
        # The output is for the administrators, so it is Russian like the rest of the platform.
        if report.created:
            self.stdout.write("создано: " + ", ".join(f"{name} {n}" for name, n in report.created.items()))
        for line in report.skipped:
            self.stdout.write(self.style.WARNING(f"пропущено: {line}"))
        if report.differences:
            self.stdout.write(
                f"Отличий от fixtures/: {len(report.differences)}; оставлены как есть (изменения "
                "администраторов). Список: manage.py bootstrap --check"
            )
        self._ensure_schedules()
        if demo:
            self._demo()

    def _check(self):
        differences = reference_data_differences()
        if not differences:
            self.stdout.write("Справочные данные совпадают с fixtures/.")
            return
        self.stdout.write(f"Отличий базы от fixtures/: {len(differences)}")
        for line in differences:
            self.stdout.write(f"  {line}")

    def _update_site(self):
        domain = urlsplit(settings.SITE_URL).netloc or "localhost"
        Site.objects.update_or_create(
            pk=settings.SITE_ID, defaults={"domain": domain, "name": "«Умный город» Заречный"}
        )

    def _ensure_schedules(self):
        from api.tasks import ensure_schedules as opendata_schedules
        from messages.tasks import ensure_schedules as worker_schedules
        from stats.tasks import ensure_schedules as stats_schedules

        for line in [*worker_schedules(), *stats_schedules(), *opendata_schedules()]:
            self.stdout.write(line)

    def _demo(self):
        # django-q logs a line for every wake-up it queues; the demo's come at commit and would push the
        # logins off the screen, so they are quiet here. The logins are printed last, after the commit.
        queue_logger = logging.getLogger("django-q")
        level = queue_logger.level
        queue_logger.setLevel(logging.WARNING)
        try:
            with services_in_one_transaction():
                lines, created = self._demo_rows()
        finally:
            queue_logger.setLevel(level)
        self.stdout.write(f"демонстрационных сообщений создано: {created}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Демонстрационные входы (пароль у всех: {DEMO_PASSWORD}):"))
        for email, what in lines:
            self.stdout.write(f"  {email:<45} {what}")

    def _demo_rows(self):
        lines = []
        for row, what in DEMO_OFFICIAL_ROWS.items():
            official = Official.objects.select_related("user").filter(appendix_row=row).first()
            if official is None:
                continue  # an administrator removed this official; the demo does not bring them back
            # A known password, nothing else: the rights (is_staff, groups) stay as an administrator left them.
            accounts_services.account_password_set(user=official.user, password=DEMO_PASSWORD)
            accounts_services.address_confirm_current(user=official.user)
            lines.append((official.user.email, f"{official.user.full_name} — {what}"))
        for email, name in DEMO_CITIZENS:
            user = accounts_services.account_ensure(email=email, full_name=name)
            accounts_services.account_password_set(user=user, password=DEMO_PASSWORD)
            accounts_services.address_confirm_current(user=user)
            lines.append((email, f"{name} — житель"))
        from messages.demo import create_demo_messages
        from stats.services import refresh_rollups

        created = create_demo_messages()
        # The demo statistics page shows the demo messages at once, not after the first scheduled refresh.
        refresh_rollups()
        return lines, created
