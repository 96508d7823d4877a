"""`manage.py opendata_write [--day D | --from D --to D]`: write (again) the open-data files of past days."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from api.opendata import write_day, write_missing


class Command(BaseCommand):
    help = "Write the open-data files of one day or a range of days (Moscow dates); without arguments, the missing days of the last week."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat)
        parser.add_argument("--from", dest="first", type=date.fromisoformat)
        parser.add_argument("--to", dest="last", type=date.fromisoformat)

    def handle(self, *args, day=None, first=None, last=None, **options):
        if day is None and first is None:
            self.stdout.write(f"файлов записано: {write_missing()}")
            return
        first, last = (day, day) if day else (first, last or first)
        if last < first or (last - first).days > 3660:
            raise CommandError("Укажите --from не позже --to (не более 10 лет).")
        while first <= last:
            files = write_day(first)
            self.stdout.write(f"{first}: " + ", ".join(f"{f.name} ({f.rows} строк)" for f in files))
            first += timedelta(days=1)
