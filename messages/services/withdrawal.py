"""Withdrawing a message the author no longer wants processed (152-ФЗ ст. 9, withdrawal of consent).

A message that was never published (on moderation or rejected) leaves every queue for good: it becomes
`withdrawn`, its text, place and photos are erased, and nobody can register, reject or resubmit it. A
state and not a deleted row, because the number was already given to the author (§5.2) and the event
history (who withdrew what, when) stays as the record that processing stopped; the statistics and every
scoped read leave withdrawn messages out. Published messages are not withdrawn: they stay, without the
author's name (accounts.services.account_delete).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from ..errors import MessageActionError
from ..models import Message, Notification, Photo, State
from .common import Kind, Person, lock_message, record_event, remove_files, transition_guard
from .transactions import service_atomic, services_in_one_transaction

WITHDRAWABLE_STATES = (State.SUBMITTED, State.REJECTED)


def message_withdraw(
    *, message: Message | int, actor: Person, cause: str = "author", now: datetime | None = None
) -> Message:
    """The author withdraws an unpublished message: erased, out of every queue, one event."""
    with service_atomic():
        message = lock_message(message)
        if actor is None or message.author_id != actor.pk:
            raise MessageActionError("Отозвать сообщение может только его автор.")
        from_state = message.state
        with transition_guard(message):
            message.withdraw()
        now = now or timezone.now()
        photos = list(Photo.objects.filter(message=message))
        files = [
            (field.storage, field.name)
            for photo in photos
            for field in (photo.image, photo.thumbnail, photo.original)
            if field.name
        ]
        Photo.objects.filter(pk__in=[p.pk for p in photos]).delete()
        # Personal data goes with the consent: the description, the place (often the author's home).
        message.text = ""
        message.address = ""
        message.latitude = message.longitude = None
        message.show_author_name = False
        message.photo_count = 0
        message.save(
            update_fields=[
                "state",
                "photo_count",
                "text",
                "address",
                "latitude",
                "longitude",
                "show_author_name",
                "updated_at",
            ]
        )
        # Staff reminders or escalations about it that were not mailed yet would only confuse.
        Notification.objects.filter(message=message, email_status=Notification.EmailStatus.PENDING).update(
            email_status=Notification.EmailStatus.SKIPPED, next_attempt_at=None
        )
        record_event(
            message,
            Kind.WITHDRAWN,
            actor=actor,
            from_state=from_state,
            now=now,
            data={"cause": cause, "photos_removed": len(photos)},
        )
        # The files go once the rows are surely gone; a rolled-back withdrawal keeps its photos.
        transaction.on_commit(lambda: remove_files(files))
    return message


def messages_withdraw_of_author(
    *, author: User, cause: str = "account_deleted", now: datetime | None = None
) -> int:
    """Withdraw every unpublished message of `author` (account deletion). Returns how many.

    Each message is withdrawn under its own row lock; one that a moderator registered a moment earlier
    is published by then and stays (anonymised), so it is skipped, not an error.
    """
    withdrawn = 0
    pending = Message.objects.filter(author=author, state__in=WITHDRAWABLE_STATES).values_list(
        "pk", flat=True
    )
    # Called inside account_delete's transaction (the account and its messages go together): the
    # withdrawals nest in it on purpose.
    with services_in_one_transaction():
        for pk in list(pending):
            try:
                message_withdraw(message=pk, actor=author, cause=cause, now=now)
            except MessageActionError as error:
                if error.code != "wrong_state":
                    raise
                continue
            withdrawn += 1
    return withdrawn
