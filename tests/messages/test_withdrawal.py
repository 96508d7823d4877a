"""Withdrawn messages (issue 11, item 8; 152-ФЗ): the author's account is deleted before publication.

The message leaves every queue, its text, place and photos are erased, no transition leads out of it,
and the deadline sweep, the statistics and every scoped read leave it out.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from accounts.services import account_delete
from directory.models import RejectionReason
from messages import selectors, services
from messages.deadlines import sweep_deadlines
from messages.errors import MessageActionError
from messages.models import Message, MessageEvent, Notification, Photo, State
from stats.models import DailyCount
from stats.services import refresh_rollups
from tests.factories import processed_photos, registered, submit
from tests.messages.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
FRIDAY = datetime(2026, 10, 30, 12, 0, tzinfo=MSK)


def _reject(message, moderator):
    return services.message_reject(
        message=message, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )


def _photo_files(message):
    return [
        (field.storage, field.name)
        for photo in Photo.objects.filter(message=message)
        for field in (photo.image, photo.thumbnail)
    ]


def test_deleting_an_account_withdraws_its_unpublished_messages(
    citizen, category, moderator, supervisor, django_capture_on_commit_callbacks
):
    pending = submit(citizen, category, text="Яма у моего дома", photos=processed_photos(2))
    rejected = _reject(submit(citizen, category, photos=processed_photos(1)), moderator)
    published = registered(citizen, category, moderator, text="Яма на Ленина", show_author_name=True)
    files = _photo_files(pending) + _photo_files(rejected)
    assert files and all(storage.exists(name) for storage, name in files)

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=citizen)

    for message in (pending, rejected):
        message.refresh_from_db()
        assert message.state == State.WITHDRAWN
        assert (message.text, message.address, message.latitude) == ("", "", None)
        assert not message.photos.exists()
        event = message.events.get(kind=MessageEvent.Kind.WITHDRAWN)
        assert event.actor_id == citizen.pk and event.data["cause"] == "account_deleted"
        assert not event.is_public
    assert not any(storage.exists(name) for storage, name in files)
    # Out of the moderators' queues, for the category's moderator and for the supervisors alike.
    for official in (moderator.official, supervisor.official):
        assert not selectors.moderator_queue(official).exists()
        assert not selectors.staff_messages(official).filter(pk__in=[pending.pk, rejected.pk]).exists()
    # The published one stays, anonymised.
    published.refresh_from_db()
    assert published.state == State.REGISTERED and published.text == "Яма на Ленина"
    assert published.author_id == citizen.pk and published.author.full_name == ""


def test_a_withdrawn_message_can_never_be_registered_rejected_or_resubmitted(
    citizen, category, moderator, supervisor
):
    pending = submit(citizen, category)
    rejected = _reject(submit(citizen, category), moderator)
    account_delete(user=citizen)
    for actor in (moderator, supervisor):
        with pytest.raises(MessageActionError) as refused:
            services.message_register(message=pending, actor=actor)
        assert refused.value.code == "wrong_state"
        with pytest.raises(MessageActionError):
            _reject(pending, actor)
    with pytest.raises(MessageActionError):
        services.message_resubmit(message=rejected, actor=citizen, text="Новый текст")
    assert set(Message.objects.filter(author=citizen).values_list("state", flat=True)) == {State.WITHDRAWN}


def test_only_the_author_withdraws_and_only_before_publication(citizen, other_citizen, category, moderator):
    pending = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_withdraw(message=pending, actor=other_citizen)
    with pytest.raises(MessageActionError):
        services.message_withdraw(message=pending, actor=moderator)
    published = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError) as refused:
        services.message_withdraw(message=published, actor=citizen)
    assert refused.value.code == "wrong_state"
    services.message_withdraw(message=pending, actor=citizen)
    pending.refresh_from_db()
    assert pending.state == State.WITHDRAWN


def test_nobody_opens_a_withdrawn_message(citizen, category, moderator, supervisor):
    pending = submit(citizen, category)
    services.message_withdraw(message=pending, actor=citizen)
    for person in (citizen, moderator, supervisor, None):
        assert not selectors.messages_visible_to(person).filter(pk=pending.pk).exists()
    assert not selectors.messages_of_author(citizen).filter(pk=pending.pk).exists()


def test_the_deadline_sweep_ignores_withdrawn_messages(citizen, category, moderator):
    message = submit(citizen, category, now=FRIDAY)
    services.message_withdraw(message=message, actor=citizen, now=FRIDAY)
    # Past the registration deadline (5 November): a submitted message would be escalated now.
    assert sweep_deadlines(now=datetime(2026, 11, 6, 10, 0, tzinfo=MSK)) == {"reminder": 0, "escalation": 0}


def test_pending_staff_emails_about_it_are_not_sent(citizen, category, moderator):
    message = submit(citizen, category, now=FRIDAY)
    sweep_deadlines(now=datetime(2026, 11, 6, 10, 0, tzinfo=MSK))
    escalations = Notification.objects.filter(message=message, kind=Notification.Kind.ESCALATION)
    assert escalations.filter(email_status=Notification.EmailStatus.PENDING).exists()
    services.message_withdraw(message=message, actor=citizen)
    assert not Notification.objects.filter(
        message=message, email_status=Notification.EmailStatus.PENDING
    ).exists()


def test_statistics_leave_a_withdrawn_message_out_even_after_an_incremental_refresh(
    citizen, category, moderator
):
    kept = submit(citizen, category, now=FRIDAY)
    gone = submit(citizen, category, now=FRIDAY)
    refresh_rollups(now=datetime(2026, 11, 2, 10, 0, tzinfo=MSK))
    assert DailyCount.objects.get(metric="received").count == 2
    withdrawn_at = datetime(2026, 11, 3, 10, 0, tzinfo=MSK)
    services.message_withdraw(message=gone, actor=citizen, now=withdrawn_at)
    # Only the days from the withdrawal on are asked for; the receipt on Friday must go all the same.
    refresh_rollups(since=withdrawn_at, now=datetime(2026, 11, 3, 11, 0, tzinfo=MSK))
    assert DailyCount.objects.get(metric="received").count == 1
    assert kept.pk != gone.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (DATABASE_URL)")
@pytest.mark.parametrize("repeat", range(3))
def test_deletion_and_registration_at_once_either_publish_or_withdraw(citizen, category, moderator, repeat):
    """The user row is locked first, then each message: with registration (message first, then the
    author's notification, which needs a key-share lock on the user) that must not deadlock."""
    message = submit(citizen, category)
    deletion, registration = run_at_once(
        lambda: account_delete(user=citizen),
        lambda: services.message_register(message=message.pk, actor=moderator),
    )
    assert deletion[0] == "ok", deletion
    message.refresh_from_db()
    if message.state == State.REGISTERED:
        assert registration[0] == "ok" and message.text
    else:
        assert message.state == State.WITHDRAWN and message.text == ""
        assert registration[0] == "error" and registration[1].code == "wrong_state"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (DATABASE_URL)")
def test_a_submission_racing_the_account_deletion_leaves_no_unpublished_message(citizen, category):
    """The submission's form was read while the account existed; the deletion commits while it is being
    saved. Either the deletion sees the message and withdraws it, or the submission is refused: never an
    unpublished message of a deleted account (152-ФЗ)."""
    import threading

    from django.db import connections, transaction

    deleting, release = threading.Event(), threading.Event()

    def delete_and_hold():
        try:
            with transaction.atomic():
                account_delete(user=citizen)
                deleting.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    outcome = []

    def submit_stale_form():
        try:
            outcome.append(submit(citizen, category))  # `citizen` in memory is still active
        except MessageActionError as error:
            outcome.append(error)
        finally:
            connections.close_all()

    deleter = threading.Thread(target=delete_and_hold)
    deleter.start()
    assert deleting.wait(timeout=10)
    submitter = threading.Thread(target=submit_stale_form)
    submitter.start()
    submitter.join(timeout=1)  # with the author's row locked it waits for the deletion
    release.set()
    deleter.join(timeout=30)
    submitter.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], MessageActionError) and outcome[0].code == "auth"
    assert not Message.objects.filter(author=citizen).exclude(state=State.WITHDRAWN).exists()
