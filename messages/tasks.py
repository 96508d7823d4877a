"""django-q2 tasks of the worker: the email outbox, the deadline sweep, auto-close, the staff digest.

Tasks take no model instances, re-read what they need and write only through services: the outbox
delivery (`messages.delivery`, the notifications' delivery service), `messages.deadlines` and
`messages.services`. Nothing imports this module but the worker, `bootstrap` and `stats.tasks`: the
services wake the worker through `messages.outbox`. `ensure_schedules()` (called by `manage.py bootstrap`,
never at import) creates the schedules.
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from directory.workdays import MOSCOW
from zarechny.logs import request_context

from . import deadlines, delivery, notifications
from .errors import MessageActionError
from .models import Message, State
from .services import message_close_unrated

# --- outbox, deadlines, auto-close, digest ---------------------------------------------------------


def deliver_outbox(
    *, batch_size: int | None = None, time_budget: float | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """One delivery run of the outbox (messages/delivery.py); `request_id`: of the request that woke it,
    for the log lines of this run (zarechny/logs.py)."""
    with request_context(request_id):
        return delivery.outbox_deliver(batch_size=batch_size, time_budget=time_budget)


def sweep_deadlines() -> dict[str, int]:
    """Every ~15 minutes: reminders and escalations that are due (messages/deadlines.py)."""
    return deadlines.sweep_deadlines()


def close_unrated_messages(*, now: datetime | None = None, batch_size: int = 200) -> dict[str, int]:
    """Hourly: answered messages left unrated for RATING_WINDOW_DAYS are closed (event + notice)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RATING_WINDOW_DAYS)
    closed = cursor = 0
    while True:
        pks = list(
            Message.objects.filter(state=State.ANSWERED, answered_at__lte=cutoff, pk__gt=cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            break
        cursor = pks[-1]
        for pk in pks:
            try:
                message_close_unrated(message=pk, now=now)
            except MessageActionError:
                continue  # rated or re-answered in the meantime: nothing to close
            closed += 1
    return {"closed": closed}


def send_staff_digest() -> Any:
    """Daily at STAFF_NOTICE_HOUR: the digest of each official's queues (working days only)."""
    return notifications.send_staff_digests()


# --- schedules -------------------------------------------------------------------------------------


def _next_notice_time(now: datetime) -> datetime:
    local = timezone.localtime(now, MOSCOW)
    moment = datetime.combine(local.date(), time(settings.STAFF_NOTICE_HOUR), tzinfo=MOSCOW)
    return moment if moment > now else moment + timedelta(days=1)


def schedule_specs(now: datetime | None = None) -> list[dict[str, Any]]:
    """The worker's schedules, keyed by the task function (one schedule per function)."""
    from django_q.models import Schedule

    now = now or timezone.now()
    return [
        {
            "func": "messages.tasks.deliver_outbox",
            "name": "Рассылка писем (outbox), каждую минуту",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "next_run": now,
        },
        {
            "func": "messages.tasks.sweep_deadlines",
            "name": "Сроки: напоминания и эскалации, каждые 15 минут",
            "schedule_type": Schedule.MINUTES,
            "minutes": 15,
            "next_run": now,
        },
        {
            "func": "messages.tasks.close_unrated_messages",
            "name": "Закрытие сообщений без оценки, каждый час",
            "schedule_type": Schedule.HOURLY,
            "minutes": None,
            "next_run": now,
        },
        {
            # django-q2 has no "working days" type: it runs daily and the task skips weekends and holidays.
            "func": "messages.tasks.send_staff_digest",
            "name": f"Сводка для сотрудников, рабочие дни в {settings.STAFF_NOTICE_HOUR}:00 МСК",
            "schedule_type": Schedule.DAILY,
            "minutes": None,
            "next_run": _next_notice_time(now),
        },
    ]


def ensure_schedules(now: datetime | None = None) -> list[str]:
    """Create or update the worker's schedules; idempotent. Returns one line per schedule for `bootstrap`."""
    return upsert_schedules(schedule_specs(now))


@transaction.atomic
def upsert_schedules(specs: list[dict[str, Any]]) -> list[str]:
    """One django-q2 Schedule per task function, created or brought up to date; never at import time."""
    from django_q.models import Schedule

    lines = []
    for spec in specs:
        existing = list(Schedule.objects.select_for_update().filter(func=spec["func"]).order_by("pk"))
        for extra in existing[1:]:
            extra.delete()
        fields = {"name": spec["name"], "schedule_type": spec["schedule_type"], "minutes": spec["minutes"]}
        fields.update({"repeats": -1, "args": None, "kwargs": None, "cron": None, "cluster": None})
        if not existing:
            Schedule.objects.create(func=spec["func"], next_run=spec["next_run"], **fields)
            lines.append(f"расписание создано: {spec['name']}")
            continue
        schedule = existing[0]
        changed = [name for name, value in fields.items() if getattr(schedule, name) != value]
        if schedule.schedule_type != spec["schedule_type"]:
            schedule.next_run = spec["next_run"]
            changed.append("next_run")
        if changed or len(existing) > 1:
            for name, value in fields.items():
                setattr(schedule, name, value)
            schedule.save()
            lines.append(f"расписание обновлено: {spec['name']}")
        else:
            lines.append(f"расписание без изменений: {spec['name']}")
    return lines
