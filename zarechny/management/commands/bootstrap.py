"""`manage.py bootstrap [--demo | --check]`: reference data, schedules and (on a laptop) demo accounts and messages.

Reference data is only seeded where it is missing (directory/loader.py): what an administrator changed
survives every run. Schedules are code and are created or updated on every run.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from directory.loader import load_reference_data, reference_data_differences
from directory.models import Official

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
        if report.created:
            self.stdout.write("created: " + ", ".join(f"{name} {n}" for name, n in report.created.items()))
        for line in report.skipped:
            self.stdout.write(self.style.WARNING(f"skipped: {line}"))
        if report.differences:
            self.stdout.write(
                f"{len(report.differences)} differences from fixtures/ kept as they are "
                "(administrators' changes); `bootstrap --check` lists them."
            )
        self._ensure_schedules()
        if demo:
            self._demo()

    def _check(self):
        differences = reference_data_differences()
        if not differences:
            self.stdout.write("The reference data matches fixtures/.")
            return
        self.stdout.write(f"{len(differences)} differences between the database and fixtures/:")
        for line in differences:
            self.stdout.write(f"  {line}")

    def _update_site(self):
        domain = urlsplit(settings.SITE_URL).netloc or "localhost"
        Site.objects.update_or_create(
            pk=settings.SITE_ID, defaults={"domain": domain, "name": "«Умный город» Заречный"}
        )

    def _ensure_schedules(self):
        from messages.tasks import ensure_schedules as worker_schedules
        from stats.tasks import ensure_schedules as stats_schedules

        for line in [*worker_schedules(), *stats_schedules()]:
            self.stdout.write(line)

    @transaction.atomic
    def _demo(self):
        from allauth.account.models import EmailAddress

        User = get_user_model()
        lines = []
        for row, what in DEMO_OFFICIAL_ROWS.items():
            official = Official.objects.select_related("user").filter(appendix_row=row).first()
            if official is None:
                continue  # an administrator removed this official; the demo does not bring them back
            official.user.set_password(DEMO_PASSWORD)
            official.user.save(update_fields=["password"])
            if official.role == Official.Role.ADMINISTRATOR:
                official.user.is_staff = True
                official.user.save(update_fields=["is_staff"])
            # The printed login must work as printed, not stop at «Подтвердите адрес электронной почты».
            EmailAddress.objects.update_or_create(
                user=official.user, email=official.user.email, defaults={"verified": True, "primary": True}
            )
            lines.append((official.user.email, f"{official.user.full_name} — {what}"))
        for email, name in DEMO_CITIZENS:
            user, _ = User.objects.get_or_create(email=email, defaults={"full_name": name})
            user.set_password(DEMO_PASSWORD)
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            lines.append((email, f"{name} — житель"))
        from messages.demo import create_demo_messages
        from stats.services import refresh_rollups

        created = create_demo_messages()
        self.stdout.write(f"demo messages: {created} created")
        # The demo statistics page shows the demo messages at once, not after the first scheduled refresh.
        refresh_rollups()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, what in lines:
            self.stdout.write(f"  {email:<45} {what}")
