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
