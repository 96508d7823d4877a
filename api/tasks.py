"""The open-data schedule: every night, the files of the day before (api.opendata.write_missing)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from directory.workdays import MOSCOW
from messages.tasks import upsert_schedules

WRITE_HOUR = 1  # Moscow: after midnight, with the statistics' counters refreshed (every 10 minutes)


def write_open_data():
    from .opendata import write_missing

    return write_missing()


def _next_run(now):
    local = timezone.localtime(now, MOSCOW)
    moment = datetime.combine(local.date(), time(WRITE_HOUR, 5), tzinfo=MOSCOW)
    return moment if moment > now else moment + timedelta(days=1)


def schedule_specs(now=None):
    from django_q.models import Schedule

    now = now or timezone.now()
    return [
        {
            "func": "api.tasks.write_open_data",
            "name": f"Открытые данные: файлы за прошедший день, ежедневно в {WRITE_HOUR}:05 МСК",
            "schedule_type": Schedule.DAILY,
            "minutes": None,
            "next_run": _next_run(now),
        }
    ]


def ensure_schedules(now=None):
    return upsert_schedules(schedule_specs(now))
