"""Races that only a real database with row locks can settle. PostgreSQL only: SQLite serialises every
writer on one file lock, so these tests would prove nothing there."""

import threading
import uuid

import pytest
from django.db import connection, connections

from directory.models import RejectionReason
from messages import services
from messages.errors import MessageActionError
from messages.models import Message, MessageEvent, Notification, Support
from tests.factories import UserFactory, registered, submit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (DATABASE_URL)"
    ),
]


def run_at_once(*callables):
    """Start every callable in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def worker(index, fn):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", fn())
        except Exception as exc:  # the outcome is what the test inspects
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_register_and_reject_at_once_exactly_one_wins(citizen, category, moderator, supervisor, executor):
    message = submit(citizen, category)
    reason = RejectionReason.objects.get(code="obscene")
    results = run_at_once(
        lambda: services.message_register(message=message.pk, actor=moderator),
        lambda: services.message_reject(message=message.pk, actor=supervisor, reasons=[reason]),
    )
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    loser = next(value for kind, value in results if kind == "error")
    assert isinstance(loser, MessageActionError) and loser.code == "wrong_state"
    message.refresh_from_db()
    decisions = MessageEvent.objects.filter(message=message).exclude(kind="submitted")
    assert decisions.count() == 1
    winner = decisions.get()
    assert message.state == winner.to_state
    # One notification set: only the winner's notices exist.
    assert set(
        Notification.objects.filter(message=message)
        .exclude(event__kind="submitted")
        .values_list("event", flat=True)
    ) == {winner.pk}


def test_twenty_parallel_supports_by_one_user_count_once(citizen, category, moderator):
    message = registered(citizen, category, moderator)
    supporter = UserFactory()
    results = run_at_once(*[lambda: services.message_support(message=message.pk, user=supporter)] * 20)
    assert [r for r in results if r[0] == "error"] == []
    assert sorted(value for _, value in results) == [False] * 19 + [True]
    message.refresh_from_db()
    assert Support.objects.filter(message=message).count() == 1
    assert message.support_count == 1


def test_parallel_supports_by_many_guests_are_all_counted(citizen, category, moderator):
    message = registered(citizen, category, moderator)
    results = run_at_once(
        *[lambda i=i: services.message_support(message=message.pk, guest_token=f"g{i}") for i in range(20)]
    )
    assert all(r == ("ok", True) for r in results), results
    message.refresh_from_db()
    assert message.support_count == 20 == Support.objects.filter(message=message).count()


def test_fifty_parallel_submissions_get_fifty_distinct_numbers(category):
    authors = [UserFactory() for _ in range(50)]
    results = run_at_once(*[lambda a=a: submit(a, category).number for a in authors])
    assert [r for r in results if r[0] == "error"] == []
    numbers = [value for _, value in results]
    assert len(set(numbers)) == 50
    assert Message.objects.count() == 50


def test_same_form_posted_twice_at_once_creates_one_message(citizen, category):
    token = uuid.uuid4()
    results = run_at_once(*[lambda: submit(citizen, category, client_token=token).pk] * 5)
    assert [r for r in results if r[0] == "error"] == []
    assert len({value for _, value in results}) == 1
    assert Message.objects.count() == 1


def test_two_answers_at_once_only_one_is_saved(citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    results = run_at_once(
        lambda: services.message_answer(message=message.pk, actor=executor, kind="solved", text="Готово"),
        lambda: services.message_answer(message=message.pk, actor=moderator, kind="solved", text="Сделано"),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    assert message.answers.count() == 1


def test_two_deliverers_and_an_admin_retrying_mail_each_notice_exactly_once(
    settings, monkeypatch, citizen, other_citizen, category
):
    """Issue 10 point 3: two outbox runs and an administrator pressing «Повторить отправку» over and
    over, all at once, against a real (slow) SMTP server; some rows fail and are retried for real."""
    import time

    from django_q.conf import Conf

    from messages.notifications import notifications_retry
    from messages.tasks import deliver_outbox
    from tests.messages.test_tasks import Mailbox

    # The retry's wake-up goes to the broker (as in production), so the administrator's thread only retries.
    monkeypatch.setattr(Conf, "SYNC", False)
    mailbox = Mailbox(delay=0.03).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", mailbox.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.OUTBOX_MAX_ATTEMPTS = 1  # a refused email is failed at once, so the administrator retries it
    mailbox.refused = {other_citizen.email}
    for i in range(24):
        submit(citizen if i % 4 else other_citizen, category, text=f"Сообщение {i}")
    ids = list(Notification.objects.values_list("pk", flat=True))
    deliverable = set(Notification.objects.filter(recipient=citizen).values_list("pk", flat=True))
    stop = threading.Event()

    def deliverer():
        while not stop.is_set():
            deliver_outbox(batch_size=2)

    def administrator():
        retried = 0
        while not stop.is_set():
            retried += notifications_retry(notification_ids=ids)
        return retried

    def referee():
        # At least 3 s of racing, and until every deliverable notice is sent (30 s at most).
        started = time.monotonic()
        sent = Notification.objects.filter(email_status="sent")
        while time.monotonic() - started < 30:
            if time.monotonic() - started > 3 and set(sent.values_list("pk", flat=True)) >= deliverable:
                break
            time.sleep(0.1)
        stop.set()

    try:
        results = run_at_once(deliverer, deliverer, administrator, referee)
    finally:
        stop.set()
        mailbox.stop()
    assert [r for r in results if r[0] == "error"] == []
    assert results[2][1] > 0, "the administrator never retried a failed row: the race proved nothing"
    received = mailbox.message_ids()
    expected = sorted(f"<notification-{pk}@127.0.0.1>" for pk in deliverable)
    assert sorted(received) == expected, "a notice was mailed twice or not at all"
    sent = Notification.objects.filter(email_status="sent").values_list("pk", flat=True)
    assert set(sent) == deliverable


def test_a_slow_photo_upload_does_not_hold_up_other_submissions(
    monkeypatch, citizen, other_citizen, category
):
    """Issue 10 point 4: while one submission's photos are still being written (a slow disk or object
    store), another citizen's submission gets its number and completes; the counter is not held."""
    from messages.storage import PrivateStorage
    from tests.factories import processed_photos

    photos = processed_photos(1)
    writing, release = threading.Event(), threading.Event()
    save = PrivateStorage._save

    def slow_save(self, name, content):
        if photos[0].token in name:
            writing.set()
            release.wait(timeout=30)
        return save(self, name, content)

    monkeypatch.setattr(PrivateStorage, "_save", slow_save)
    slow = threading.Thread(target=lambda: _in_own_connection(submit, citizen, category, photos=photos))
    slow.start()
    try:
        assert writing.wait(timeout=10)
        quick = threading.Thread(target=lambda: _in_own_connection(submit, other_citizen, category))
        quick.start()
        quick.join(timeout=5)
        finished_while_writing = not quick.is_alive()
    finally:
        release.set()
        slow.join(timeout=30)
    quick.join(timeout=30)
    assert finished_while_writing, "the second submission waited for the first one's photo upload"
    numbers = set(Message.objects.values_list("number", flat=True))
    assert len(numbers) == 2
    assert Message.objects.get(author=citizen).photos.count() == 1


def _in_own_connection(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    finally:
        connections.close_all()


def test_two_remarks_reviews_at_once_are_serialised(citizen, category, moderator, supervisor, executor):
    """§7.2–7.3: two moderators deciding on the same remarks at once run one after the other under the row
    lock: the second sees the first's decision (its event's «previous»), never both the pending state."""
    from messages.models import Rating
    from tests.factories import answered

    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Звоните: +7 912 000")
    rating = Rating.objects.get(message=message)
    results = run_at_once(
        lambda: services.rating_remarks_review(rating=rating.pk, actor=moderator, decision="hide"),
        lambda: services.rating_remarks_review(
            rating=rating.pk, actor=supervisor, decision="edit", text="Яма осталась."
        ),
    )
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    events = list(MessageEvent.objects.filter(message=message, kind="remarks_reviewed").order_by("id"))
    assert [e.data["previous"] for e in events] == ["pending", events[0].data["decision"]]
    rating.refresh_from_db()
    assert rating.remarks_review == events[1].data["decision"]
