"""The outbox task against a real local SMTP server (aiosmtpd), schedules, and auto-close.

`Mailbox` is also used by the real-worker tests in test_worker.py.
"""

import email
import email.policy
import io
import socket
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from messages import services
from messages.errors import MessageActionError
from messages.models import MessageEvent, Notification
from messages.notifications import notifications_retry
from messages.tasks import deliver_outbox, ensure_schedules
from tests.factories import answered, registered, submit

MSK = ZoneInfo("Europe/Moscow")
Status = Notification.EmailStatus


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """A real SMTP server on localhost. `mode`: "ok", "tempfail" (451 on DATA), or a set of refused
    recipient addresses (550 on RCPT). `stop()`/`start()` take the server away and bring it back."""

    def __init__(self, port=None, delay=0.0):
        self.port = port or free_port()
        self.messages = []
        self.mode = "ok"
        self.refused = set()
        self.delay = delay
        self._lock = threading.Lock()
        self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "tempfail":
            return "451 4.3.0 try again later"
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, to=None):
        with self._lock:
            return [m for m in self.messages if to is None or to in m["To"]]

    def message_ids(self):
        return [m["Message-ID"] for m in self.received()]


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def smtp(settings, mailbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mailbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return mailbox


def _statuses(**filters):
    return sorted(Notification.objects.filter(**filters).values_list("kind", "email_status"))


def test_delivery_sends_each_pending_row_once_and_marks_it_sent(smtp, citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    stats = deliver_outbox()
    assert stats["sent"] == 3  # received, registered, answered: the author's three notices
    # `assigned` (to the executor and to the moderator, who may answer for Администрация too) goes
    # into the digest only.
    assert stats["skipped"] == 0  # created as skipped (issue 12.6): the run has nothing to flip
    subjects = sorted(m["Subject"] for m in smtp.received(to=citizen.email))
    assert len(subjects) == 3
    assert all(message.number in s for s in subjects)
    assert _statuses(recipient=citizen) == [
        ("answered", "sent"),
        ("received", "sent"),
        ("registered", "sent"),
    ]
    assert _statuses(recipient=executor) == [("assigned", "skipped")]
    # The in-app list keeps every notification, the skipped one included.
    assert Notification.objects.filter(recipient=executor, read_at__isnull=True).count() == 1
    # A second run sends nothing more.
    assert deliver_outbox()["sent"] == 0
    assert len(smtp.received()) == 3


def test_batches_iterate_by_id_and_every_row_goes_once(smtp, citizen, other_citizen, category, moderator):
    for author in (citizen, other_citizen) * 4:
        submit(author, category)
    stats = deliver_outbox(batch_size=3)
    assert stats["sent"] == 8
    assert sorted(smtp.message_ids()) == sorted(
        f"<notification-{pk}@127.0.0.1>" for pk in Notification.objects.values_list("pk", flat=True)
    )


def test_a_refusing_server_leaves_rows_pending_with_backoff_then_they_go_once(
    settings, smtp, citizen, category
):
    settings.OUTBOX_BACKOFF_SECONDS = 60
    submit(citizen, category)
    smtp.mode = "tempfail"
    start = timezone.now()
    stats = deliver_outbox()
    assert stats["retry"] == 1 and stats["sent"] == 0
    row = Notification.objects.get()
    assert row.email_status == Status.PENDING
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at >= start + timedelta(seconds=59)
    # Not due yet: nothing is attempted before the backoff ends.
    smtp.mode = "ok"
    assert deliver_outbox() == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "interrupted": 0}
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        assert deliver_outbox()["sent"] == 1
    row.refresh_from_db()
    assert (row.email_status, row.attempts, row.last_error) == (Status.SENT, 2, "")
    assert len(smtp.received()) == 1


def test_backoff_doubles_and_the_row_fails_after_the_limit_then_admin_retry_sends_it(
    settings, smtp, citizen, category
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_BACKOFF_SECONDS = 10
    submit(citizen, category)
    smtp.refused = {citizen.email}
    delays = []
    moment = timezone.now()
    with time_machine.travel(moment, tick=False) as clock:
        for _ in range(3):
            deliver_outbox()
            row = Notification.objects.get()
            if row.next_attempt_at:
                delays.append(round((row.next_attempt_at - timezone.now()).total_seconds()))
                clock.move_to(row.next_attempt_at + timedelta(seconds=1))
    assert delays == [10, 20]
    row.refresh_from_db()
    assert row.email_status == Status.FAILED
    assert row.attempts == 3
    assert "550" in row.last_error
    # The recipient is fixed; the administrator retries.
    smtp.refused = set()
    assert notifications_retry(notification_ids=[row.pk]) == 1
    assert deliver_outbox()["sent"] == 1
    row.refresh_from_db()
    assert row.email_status == Status.SENT
    assert len(smtp.received()) == 1
    # Retrying a sent row does nothing: it cannot be mailed twice.
    assert notifications_retry(notification_ids=[row.pk]) == 0


def test_an_unreachable_server_does_not_use_up_attempts(settings, citizen, other_citizen, category):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    submit(citizen, category)
    submit(other_citizen, category)
    stats = deliver_outbox()
    assert stats["sent"] == 0 and "server_down" in stats
    rows = list(Notification.objects.order_by("pk"))
    assert [r.email_status for r in rows] == [Status.PENDING, Status.PENDING]
    assert [r.attempts for r in rows] == [0, 0]
    assert "Connection refused" in rows[0].last_error or "ConnectionRefused" in rows[0].last_error
    # The run stopped at the first row; the second is due again at once, not after the lease.
    assert rows[1].next_attempt_at <= timezone.now()


def test_a_row_left_sending_by_a_dead_worker_is_failed_not_sent_twice(settings, smtp, citizen, category):
    submit(citizen, category)
    submit(citizen, category, text="Второе")
    first, second = Notification.objects.order_by("pk")
    # A worker claimed `first` and died during the SMTP conversation; its lease has run out.
    Notification.objects.filter(pk=first.pk).update(
        email_status=Status.SENDING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    stats = deliver_outbox()
    assert stats["interrupted"] == 1 and stats["sent"] == 1
    first.refresh_from_db()
    assert first.email_status == Status.FAILED
    assert "могло" in first.last_error
    assert [m["Message-ID"] for m in smtp.received()] == [f"<notification-{second.pk}@127.0.0.1>"]


def test_a_leased_row_is_left_alone_by_another_run(smtp, citizen, category):
    from messages.delivery import _claim_batch

    submit(citizen, category)
    assert len(_claim_batch(0, 10)) == 1  # another worker holds the lease
    assert deliver_outbox()["sent"] == 0
    assert smtp.received() == []


def test_the_services_wake_the_outbox_after_commit(citizen, category, django_capture_on_commit_callbacks):
    # Under pytest django-q runs tasks inline (Q_CLUSTER["sync"]), so the wake delivers at once.
    from messages.outbox import enqueue_outbox_delivery

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = submit(citizen, category)
    # One wake for the whole submission (the other callbacks bump the page and office cache versions).
    assert [c for c in callbacks if c is enqueue_outbox_delivery] == [enqueue_outbox_delivery]
    assert [m.subject for m in mail.outbox] == [f"Сообщение № {message.number} получено"]
    assert Notification.objects.get().email_status == Status.SENT


# --- the "sending" state and the administrator's retry (issue 10, point 3) -----------------------------


class InterruptingBackend(locmem.EmailBackend):
    """The locmem outbox, with a moment in the middle of the SMTP conversation where `during_send` runs
    (what another worker or an administrator does while this one is sending); once."""

    during_send = None

    def send_messages(self, email_messages):
        hook, InterruptingBackend.during_send = InterruptingBackend.during_send, None
        if hook is not None:
            hook()
        return super().send_messages(email_messages)


@pytest.fixture
def interrupting(settings):
    settings.EMAIL_BACKEND = "tests.messages.test_tasks.InterruptingBackend"
    yield InterruptingBackend
    InterruptingBackend.during_send = None


def test_admin_retry_during_a_send_changes_nothing_and_the_notice_goes_once(interrupting, citizen, category):
    submit(citizen, category)
    row = Notification.objects.get()
    seen = {}

    def meanwhile():
        seen["status"] = Notification.objects.get().email_status
        seen["retried"] = notifications_retry(notification_ids=[row.pk])
        seen["second_worker"] = deliver_outbox()["sent"]

    interrupting.during_send = meanwhile
    assert deliver_outbox()["sent"] == 1
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [f"<notification-{row.pk}@127.0.0.1>"]
    assert seen == {"status": "sending", "retried": 0, "second_worker": 0}
    row.refresh_from_db()
    assert (row.email_status, row.attempts, row.lease_until) == ("sent", 1, None)


def test_admin_retry_touches_failed_rows_only(citizen, category):
    for text in ("pending", "sending", "sent", "skipped", "failed"):
        submit(citizen, category, text=text)
    lease = timezone.now() + timedelta(minutes=2)
    for row in Notification.objects.select_related("message"):
        status = row.message.text
        Notification.objects.filter(pk=row.pk).update(
            email_status=status, attempts=3, lease_until=lease if status == "sending" else None
        )
    before = {r.message.text: r for r in Notification.objects.select_related("message")}
    assert notifications_retry(notification_ids=[r.pk for r in before.values()]) == 1
    after = {r.message.text: r for r in Notification.objects.select_related("message")}
    for status in ("pending", "sending", "sent", "skipped"):
        old, new = before[status], after[status]
        assert (new.email_status, new.attempts, new.lease_until) == (old.email_status, 3, old.lease_until)
    assert (after["failed"].email_status, after["failed"].attempts) == (Status.PENDING, 0)


def test_a_worker_that_lost_its_lease_cannot_write_sent_over_a_retried_row(
    settings, interrupting, citizen, category
):
    submit(citizen, category)
    row = Notification.objects.get()

    def meanwhile():
        # The SMTP server held this worker past its lease: another run fails the row as interrupted and
        # the administrator retries it — all before this worker's "sent" write.
        later = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
        from messages.delivery import _mark_interrupted

        assert _mark_interrupted(later) == 1
        assert notifications_retry(notification_ids=[row.pk]) == 1

    interrupting.during_send = meanwhile
    deliver_outbox()
    row.refresh_from_db()
    # The retry stands: the late worker's write did not turn it into "sent".
    assert (row.email_status, row.attempts, row.sent_at) == (Status.PENDING, 0, None)
    assert deliver_outbox()["sent"] == 1
    row.refresh_from_db()
    assert row.email_status == Status.SENT


# --- schedules -------------------------------------------------------------------------------------


def test_bootstrap_twice_leaves_one_schedule_of_each_kind(db):
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    call_command("bootstrap", stdout=out)
    funcs = sorted(Schedule.objects.values_list("func", flat=True))
    assert funcs == [
        "api.tasks.write_open_data",
        "messages.tasks.close_unrated_messages",
        "messages.tasks.deliver_outbox",
        "messages.tasks.send_staff_digest",
        "messages.tasks.sweep_deadlines",
        "stats.services.refresh_recent",
    ]
    assert out.getvalue().count("расписание создано") == 6
    assert out.getvalue().count("расписание без изменений") == 6
    by_func = {s.func: s for s in Schedule.objects.all()}
    assert (
        by_func["messages.tasks.deliver_outbox"].schedule_type,
        by_func["messages.tasks.deliver_outbox"].minutes,
    ) == (
        Schedule.MINUTES,
        1,
    )
    assert by_func["messages.tasks.sweep_deadlines"].minutes == 15
    assert by_func["messages.tasks.close_unrated_messages"].schedule_type == Schedule.HOURLY
    digest = by_func["messages.tasks.send_staff_digest"]
    assert digest.schedule_type == Schedule.DAILY
    assert timezone.localtime(digest.next_run, MSK).hour == 9


def test_ensure_schedules_repairs_duplicates_and_edits_without_moving_next_run(db):
    ensure_schedules()
    outbox = Schedule.objects.get(func="messages.tasks.deliver_outbox")
    next_run = outbox.next_run
    Schedule.objects.filter(pk=outbox.pk).update(minutes=7)
    Schedule.objects.create(func="messages.tasks.deliver_outbox", schedule_type=Schedule.MINUTES, minutes=1)
    lines = ensure_schedules()
    assert "расписание обновлено: Рассылка писем (outbox), каждую минуту" in lines
    outbox = Schedule.objects.get(func="messages.tasks.deliver_outbox")
    assert outbox.minutes == 1
    assert outbox.next_run == next_run


def test_importing_the_tasks_creates_no_schedule(db):
    import importlib

    import messages.tasks

    importlib.reload(messages.tasks)
    assert not Schedule.objects.exists()


# --- auto-close ------------------------------------------------------------------------------------


def test_unrated_answers_are_closed_after_the_window_with_event_and_notice(
    settings, citizen, other_citizen, category, moderator, executor
):
    from messages.tasks import close_unrated_messages

    settings.RATING_WINDOW_DAYS = 30
    start = datetime(2026, 11, 2, 10, 0, tzinfo=MSK)
    with time_machine.travel(start, tick=False) as clock:
        old = answered(citizen, category, moderator, executor)
        clock.move_to(start + timedelta(days=5))
        recent = answered(other_citizen, category, moderator, executor)
        rated = answered(other_citizen, category, moderator, executor)
        services.message_rate(message=rated, actor=other_citizen, positive=False, remarks="Яма осталась")
        clock.move_to(start + timedelta(days=30, minutes=1))
        assert close_unrated_messages() == {"closed": 1}
        assert close_unrated_messages() == {"closed": 0}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == "closed" and recent.state == "answered"
    event = MessageEvent.objects.get(message=old, kind="closed_unrated")
    assert event.is_public and event.actor is None
    notice = Notification.objects.get(event=event)
    assert (notice.recipient, notice.kind) == (citizen, "closed")


def test_close_unrated_refuses_a_message_still_in_its_window(citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    with pytest.raises(MessageActionError):
        services.message_close_unrated(message=message)


def test_registered_message_notice_has_absolute_link(settings, smtp, citizen, category, moderator):
    settings.SITE_URL = "https://zarechny.example"
    message = registered(citizen, category, moderator)
    deliver_outbox()
    registered_mail = next(m for m in smtp.received() if "зарегистрировано" in m["Subject"])
    for part in ("plain", "html"):
        body = registered_mail.get_body(preferencelist=(part,)).get_content()
        assert f"https://zarechny.example/m/{message.number}/" in body


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"EMAIL_TIMEOUT": "120", "Q_TIMEOUT": "90"}, "EMAIL_TIMEOUT < Q_TIMEOUT < Q_RETRY"),
        ({"Q_TIMEOUT": "90", "Q_RETRY": "60"}, "EMAIL_TIMEOUT < Q_TIMEOUT < Q_RETRY"),
        ({"Q_TIMEOUT": "90", "OUTBOX_LEASE_SECONDS": "60"}, "OUTBOX_LEASE_SECONDS must exceed Q_TIMEOUT"),
    ],
)
def test_worker_timeouts_that_would_resend_or_kill_refuse_to_start(env, complaint):
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Q_", "EMAIL_", "OUTBOX_"))}
    result = subprocess.run(
        [sys.executable, "-c", "import zarechny.settings"],
        cwd=Path(__file__).resolve().parents[2],
        env={**clean, "DEBUG": "1", **env},  # DEBUG is off unless set, and then SECRET_KEY is asked first
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert complaint in result.stderr


def test_default_cluster_settings_avoid_the_known_failure_modes(settings):
    q = settings.Q_CLUSTER
    assert settings.EMAIL_TIMEOUT < q["timeout"] < q["retry"]
    assert q["max_attempts"] >= 1 and q["catch_up"] is False
    assert q["timeout"] < settings.OUTBOX_LEASE_SECONDS


def test_a_recipient_without_an_address_is_skipped_not_retried(smtp, citizen, other_citizen, category):
    submit(citizen, category)
    submit(other_citizen, category)
    type(citizen).objects.filter(pk=citizen.pk).update(is_active=False)
    stats = deliver_outbox()
    assert (stats["sent"], stats["skipped"]) == (1, 1)
    assert _statuses(recipient=citizen) == [("received", "skipped")]
    assert [m["To"] for m in smtp.received()] == [other_citizen.email]


def test_one_outbox_wake_per_transaction_none_lost_with_a_rolled_back_savepoint(
    db, django_capture_on_commit_callbacks
):
    """Rows queued in one transaction wake the worker once; a wake dropped with a rolled-back savepoint
    is registered again by the rows queued after it."""
    from django.db import transaction

    from messages.outbox import enqueue_outbox_delivery, enqueue_outbox_delivery_on_commit

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                enqueue_outbox_delivery_on_commit()
                raise RuntimeError("the savepoint's rows are rolled back")
        except RuntimeError:
            pass
        enqueue_outbox_delivery_on_commit()
        with transaction.atomic():
            enqueue_outbox_delivery_on_commit()
        enqueue_outbox_delivery_on_commit()
    assert callbacks == [enqueue_outbox_delivery]


def test_digest_only_notices_are_created_skipped(citizen, category, moderator, executor):
    """`assigned` goes into the staff digest only (notifications.DIGEST_KINDS): its rows are written as
    `skipped`, with no attempt due, not as `pending` for every outbox run to flip (issue 12.6)."""
    message = registered(citizen, category, moderator)
    rows = Notification.objects.filter(message=message, kind=Notification.Kind.ASSIGNED)
    assert rows.exists()
    assert set(rows.values_list("email_status", "next_attempt_at")) == {(Status.SKIPPED, None)}
    author_row = Notification.objects.get(message=message, kind=Notification.Kind.REGISTERED)
    assert author_row.email_status == Status.PENDING
    assert author_row.next_attempt_at is not None
