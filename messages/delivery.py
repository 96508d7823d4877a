"""The outbox delivery service of the notifications: every write of a delivery run lives here.

The worker's task `messages.tasks.deliver_outbox` calls `outbox_deliver()`; the administrator's retry is
`notifications.notifications_retry` (and `accounts.outbox.outbound_emails_retry`).

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
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from accounts.models import OutboundEmail
from zarechny.logs import describe_error

from . import notifications
from .models import Notification

logger = logging.getLogger(__name__)

Status = Notification.EmailStatus
INTERRUPTED_TEXT = (
    "Работа обработчика прервалась во время отправки: письмо могло и не дойти. Повторная отправка "
    "не выполняется автоматически, чтобы не прислать его дважды; при необходимости нажмите «Повторить»."
)


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
    if not row.recipient.email or not row.recipient.is_active:
        return True
    # A follower who unfollowed since the step, or a message that is no longer public: nothing more.
    return row.kind in notifications.FOLLOW_KINDS and not notifications.follow_still_wanted(row)


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
    with transaction.atomic(durable=True):
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
        logger.warning("SMTP server unavailable, outbox run stops: %s", describe_error(exc))
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
            logger.warning("SMTP server unavailable, outbox run stops: %s", describe_error(exc))
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
        logger.warning(
            "%s %s: email failed (attempt %s): %s",
            outbox.model.__name__,
            row.pk,
            attempts,
            describe_error(exc),
        )
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


def outbox_deliver(*, batch_size=None, time_budget=None):
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
        # The server's error text stays on the rows (last_error), out of the log.
        logger.info("outbox run: %s", {k: (bool(v) if k == "server_down" else v) for k, v in stats.items()})
    return stats
