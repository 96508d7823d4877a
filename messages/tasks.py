"""django-q2 tasks of the worker: the email outbox, the deadline sweep, auto-close, the staff digest.

Tasks take no model instances, re-read what they need and write through service-like functions.
`ensure_schedules()` (called by `manage.py bootstrap`, never at import) creates their schedules.

Outbox delivery — two outboxes, one set of rules: the message notices (`Notification`) and the account
emails of allauth (`accounts.OutboundEmail`: sign-up confirmation, password reset, …). How "each email is
mailed at most once" and "nothing is lost" are both kept:
1. A batch of due `pending` rows is picked with `SELECT … FOR UPDATE SKIP LOCKED` (ids in order, never the
   whole table) and leased: `next_attempt_at` moves OUTBOX_LEASE_SECONDS ahead, so no other worker picks
   them.
2. Right before its send each row goes `pending` → `sending` (attempts + 1, `lease_until` set) with a
   conditional UPDATE that only succeeds if the row is still exactly as this run claimed it — mark, then
   send.
3. Every later write of that send (`sent`, back to `pending` with a backoff, `failed`) is conditional on
   `sending` AND this send's `lease_until`: the lease is the claim's fencing token. A worker that lost its
   row (lease run out, failed as interrupted, retried by an administrator, claimed again) changes nothing.
4. The administrator's «Повторить отправку» touches `failed` rows only (`notifications_retry`,
   `outbound_emails_retry`), never a row that a worker is sending or has sent.
If a worker dies, rows of its batch that it never reached lose only their lease and go out with the next
run. The one row it was sending at that instant may or may not have reached the server: the next run
finds it `sending` past its `lease_until` and marks it `failed` with an explanation instead of sending it
again — so an email is never mailed twice, and none disappears silently (a notice is in the recipient's
in-app list anyway, and every row is visible in the admin). The lease outlives the task timeout, so a
live worker never has its row taken over.

An unreachable SMTP server (refused connection, timeout, 421) is not the row's fault: the attempt is
not counted, the run stops, and the rows wait pending for the next run — they go out once it is back.
"""

import logging
import smtplib
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from accounts.models import OutboundEmail
from directory.workdays import MOSCOW

from . import deadlines, notifications
from .errors import MessageActionError
from .models import Message, Notification, State
from .services import message_close_unrated

logger = logging.getLogger(__name__)

Status = Notification.EmailStatus
INTERRUPTED_TEXT = (
    "Работа обработчика прервалась во время отправки: письмо могло и не дойти. Повторная отправка "
    "не выполняется автоматически, чтобы не прислать его дважды; при необходимости нажмите «Повторить»."
)


# --- enqueueing ------------------------------------------------------------------------------------


def enqueue_outbox_delivery():
    """Ask the worker for one delivery run (called after commit by the services). Cheap: one broker push,
    and runs that overlap split the rows between them (SKIP LOCKED) instead of sending anything twice."""
    from django_q.tasks import async_task

    try:
        # save=False: a wake that succeeds leaves no result row behind (failures are still recorded).
        async_task("messages.tasks.deliver_outbox", task_name="outbox-wake", group="outbox", save=False)
    except Exception:  # the broker being down must not fail the citizen's request; the schedule catches up
        logger.exception("could not enqueue outbox delivery; the scheduled run will deliver")


def enqueue_outbox_delivery_on_commit():
    """One wake-up per transaction, however many rows it queued (the demo queues a hundred): one run sends
    every due row. A wake-up still registered is enough: Django drops a callback only with the rollback of
    a savepoint it was registered in, and every such savepoint still open encloses the caller too (the
    released ones merged into their parents), so that rollback would drop the caller's rows as well."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is enqueue_outbox_delivery for _savepoints, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(enqueue_outbox_delivery)


# --- outbox delivery -------------------------------------------------------------------------------


def _is_server_failure(exc):
    """Whether the SMTP server as a whole is unavailable (as opposed to refusing this one email)."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return True
    if isinstance(
        exc,
        smtplib.SMTPConnectError
        | smtplib.SMTPServerDisconnected
        | smtplib.SMTPHeloError
        | smtplib.SMTPAuthenticationError
        | smtplib.SMTPNotSupportedError,
    ):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def backoff(attempts):
    """Delay before attempt number `attempts + 1`: the base doubled per failed attempt, capped."""
    seconds = settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_BACKOFF_MAX_SECONDS))


def _close_quietly(connection):
    try:
        connection.close()
    except Exception:  # closing a broken SMTP session may raise; the next send opens a new one
        logger.debug("closing the email connection failed", exc_info=True)


def build_outbound_email(row):
    """The stored account email as rendered by allauth in the request; the Message-ID is the row's, so
    a receiving server recognises the same email should it ever arrive twice."""
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "zarechny.local"
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        headers={"Message-ID": f"<account-email-{row.pk}@{domain}>"},
    )
    if row.html:
        email.attach_alternative(row.html, "text/html")
    return email


def _notice_has_nobody_to_mail(row):
    # A deleted (anonymised) or blocked account: the notice stays in-app, there is nobody to mail.
    return not row.recipient.email or not row.recipient.is_active


@dataclass(frozen=True)
class Outbox:
    """One outbox table and what differs between them; the delivery rules are the same for both."""

    model: Any
    related: tuple = ()
    build: Any = None
    nobody_to_mail: Any = None
    # Blanked in the same write that marks a row sent: the account emails carry reset/confirmation keys.
    forget_when_sent: dict = field(default_factory=dict)


NOTICES = Outbox(
    model=Notification,
    related=("recipient", "message", "message__category", "event"),
    build=notifications.build_email,
    nobody_to_mail=_notice_has_nobody_to_mail,
)
ACCOUNT_EMAILS = Outbox(
    model=OutboundEmail, build=build_outbound_email, forget_when_sent={"body": "", "html": ""}
)
# Account emails first: a person is waiting for the confirmation or reset link right now.
OUTBOXES = (ACCOUNT_EMAILS, NOTICES)


def _mark_interrupted(now, model=Notification):
    """Rows left `sending` past their lease by a worker that died: never resent automatically."""
    return model.objects.filter(email_status=Status.SENDING, lease_until__lte=now).update(
        email_status=Status.FAILED, last_error=INTERRUPTED_TEXT, lease_until=None, next_attempt_at=None
    )


def _claim_batch(cursor, batch_size, model=Notification):
    now = timezone.now()
    with transaction.atomic():
        pks = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(email_status=Status.PENDING, next_attempt_at__lte=now, pk__gt=cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if pks:
            model.objects.filter(pk__in=pks, email_status=Status.PENDING).update(
                next_attempt_at=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
            )
    return pks


def _send_one(row, connection, stats, outbox=NOTICES):
    """Send one claimed row. Returns False when the SMTP server is unavailable (the run should stop)."""
    rows = outbox.model.objects
    if row.email_status != Status.PENDING:
        return True
    if outbox.nobody_to_mail is not None and outbox.nobody_to_mail(row):
        rows.filter(pk=row.pk, email_status=Status.PENDING).update(
            email_status=Status.SKIPPED, next_attempt_at=None
        )
        stats["skipped"] += 1
        return True
    seen = row.attempts
    try:
        connection.open()  # once per run: later rows reuse the SMTP session (no-op when already open)
    except Exception as exc:  # no session, so nothing can have been sent: the row just waits
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _close_quietly(connection)
        rows.filter(pk=row.pk, email_status=Status.PENDING, next_attempt_at=row.next_attempt_at).update(
            last_error=error, next_attempt_at=timezone.now() + backoff(1)
        )
        stats["server_down"] = error
        logger.warning("SMTP server unavailable, outbox run stops: %s", error)
        return False
    lease = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    # pending → sending, only if the row is still exactly as this run claimed it (same batch lease, same
    # attempt count): nobody else can have started a send of it.
    claimed = rows.filter(
        pk=row.pk, email_status=Status.PENDING, attempts=seen, next_attempt_at=row.next_attempt_at
    ).update(email_status=Status.SENDING, attempts=seen + 1, lease_until=lease)
    if not claimed:
        return True
    # Every write below expects this very send: `sending` with our lease (the fencing token).
    ours = rows.filter(pk=row.pk, email_status=Status.SENDING, lease_until=lease)
    try:
        email = outbox.build(row)
        connection.open()  # no-op unless an earlier failure closed the session
        email.connection = connection
        email.send()
    except Exception as exc:  # every failure is recorded on the row; nothing escapes the run
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _close_quietly(connection)
        if _is_server_failure(exc):
            # Not this row's fault: keep its attempt count, wait a little, stop the run.
            ours.update(
                email_status=Status.PENDING,
                attempts=seen,
                lease_until=None,
                last_error=error,
                next_attempt_at=timezone.now() + backoff(1),
            )
            stats["server_down"] = error
            logger.warning("SMTP server unavailable, outbox run stops: %s", error)
            return False
        attempts = seen + 1
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            ours.update(email_status=Status.FAILED, lease_until=None, last_error=error, next_attempt_at=None)
            stats["failed"] += 1
        else:
            ours.update(
                email_status=Status.PENDING,
                lease_until=None,
                last_error=error,
                next_attempt_at=timezone.now() + backoff(attempts),
            )
            stats["retry"] += 1
        logger.warning("%s %s: email failed (attempt %s): %s", outbox.model.__name__, row.pk, attempts, error)
        return True
    done = ours.update(
        email_status=Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        next_attempt_at=None,
        lease_until=None,
        **outbox.forget_when_sent,
    )
    if done:
        stats["sent"] += 1
    else:
        # Our lease ran out while the SMTP server held us; the row was failed as interrupted (and maybe
        # retried since). The row keeps what happened after us; the log keeps that we did send it.
        logger.error("%s %s was sent after its lease had run out", outbox.model.__name__, row.pk)
    return True


def _deliver(outbox, connection, stats, *, batch_size, started, time_budget):
    """Send one outbox's due rows batch by batch. Returns False when the SMTP server is unavailable."""
    cursor = 0
    while monotonic_time.monotonic() - started < time_budget:
        pks = _claim_batch(cursor, batch_size, outbox.model)
        if not pks:
            break
        cursor = pks[-1]
        rows = outbox.model.objects.filter(pk__in=pks).select_related(*outbox.related).order_by("pk")
        for row in rows:
            if not _send_one(row, connection, stats, outbox):
                # Give the rest of this batch back at once instead of after the lease.
                outbox.model.objects.filter(pk__in=pks, pk__gt=row.pk, email_status=Status.PENDING).update(
                    next_attempt_at=timezone.now()
                )
                return False
    return True


def deliver_outbox(*, batch_size=None, time_budget=None):
    """One delivery run: send due outbox rows batch by batch until none is left or the time is up.

    The time budget keeps the run well inside the task timeout; what is left waits for the next run.
    """
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    if time_budget is None:
        time_budget = settings.Q_CLUSTER["timeout"] / 2
    started = monotonic_time.monotonic()
    stats = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "interrupted": 0}
    now = timezone.now()
    stats["interrupted"] = sum(_mark_interrupted(now, outbox.model) for outbox in OUTBOXES)
    connection = get_connection(fail_silently=False)
    try:
        for outbox in OUTBOXES:
            server_up = _deliver(
                outbox, connection, stats, batch_size=batch_size, started=started, time_budget=time_budget
            )
            if not server_up:
                break
    finally:
        _close_quietly(connection)
    if any(stats.values()):
        logger.info("outbox run: %s", stats)
    return stats


# --- deadlines, auto-close, digest -----------------------------------------------------------------


def sweep_deadlines():
    """Every ~15 minutes: reminders and escalations that are due (messages/deadlines.py)."""
    return deadlines.sweep_deadlines()


def close_unrated_messages(*, now=None, batch_size=200):
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


def send_staff_digest():
    """Daily at STAFF_NOTICE_HOUR: the digest of each official's queues (working days only)."""
    return notifications.send_staff_digests()


# --- schedules -------------------------------------------------------------------------------------


def _next_notice_time(now):
    local = timezone.localtime(now, MOSCOW)
    moment = datetime.combine(local.date(), time(settings.STAFF_NOTICE_HOUR), tzinfo=MOSCOW)
    return moment if moment > now else moment + timedelta(days=1)


def schedule_specs(now=None):
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


def ensure_schedules(now=None):
    """Create or update the worker's schedules; idempotent. Returns one line per schedule for `bootstrap`."""
    return upsert_schedules(schedule_specs(now))


@transaction.atomic
def upsert_schedules(specs):
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
