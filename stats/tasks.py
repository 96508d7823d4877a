"""The statistics' schedule: keep the daily rollups fresh (stats.services.refresh_recent)."""

from django.utils import timezone

from messages.tasks import upsert_schedules


def schedule_specs(now=None):
    from django_q.models import Schedule

    return [
        {
            # About 5 s on 1,000,000 messages (bench/README.md), far below the task timeout. A first
            # run on a big database is a full rebuild: run `manage.py stats_refresh --full` after deploy.
            "func": "stats.services.refresh_recent",
            "name": "Статистика: пересчёт сводных таблиц, каждые 10 минут",
            "schedule_type": Schedule.MINUTES,
            "minutes": 10,
            "next_run": now or timezone.now(),
        }
    ]


def ensure_schedules(now=None):
    return upsert_schedules(schedule_specs(now))
