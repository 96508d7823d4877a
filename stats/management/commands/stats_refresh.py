"""`manage.py stats_refresh [--full | --since YYYY-MM-DD]`: rebuild the statistics counters."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from directory.workdays import MOSCOW
from stats import services
from zarechny.progress import ProgressCallback


class Command(BaseCommand):
    help = "Rebuild the daily statistics counters (§8.1): since the previous run by default."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every day")
        parser.add_argument("--since", help="rebuild from this Moscow date (YYYY-MM-DD)")

    def handle(self, *args, full=False, since=None, **options):
        started = timezone.now()
        if full and since:
            raise CommandError("Use either --full or --since, not both.")
        if full:
            with ProgressCallback("statistics: messages read", stream=self.stdout, unit="msg") as bar:
                written = services.refresh_rollups(progress=bar)
        elif since:
            try:
                day = date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since expects YYYY-MM-DD, got {since!r}.") from None
            with ProgressCallback("statistics: messages read", stream=self.stdout, unit="msg") as bar:
                written = services.refresh_rollups(
                    since=datetime.combine(day, time.min, tzinfo=MOSCOW), progress=bar
                )
        else:
            written = services.refresh_recent()
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(f"statistics refreshed: {written} counter rows written in {seconds:.1f} s")
