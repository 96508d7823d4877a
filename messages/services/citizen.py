"""Actions of citizens and guests: submit, correct and resubmit, rate, support (§3–§4, §7)."""

import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from directory.models import Category
from directory.workdays import add_working_days

from ..errors import MessageActionError
from ..models import (
    PUBLIC_STATES,
    TEXT_OR_PHOTO_REQUIRED,
    Message,
    Notification,
    Photo,
    Rating,
    State,
    Support,
)
from ..photos import MAX_FILES, ProcessedImage
from .common import (
    ANSWER_WORKING_DAYS,
    REGISTRATION_WORKING_DAYS,
    Kind,
    NKind,
    Person,
    WrittenFiles,
    answerer_users,
    check_coordinates,
    create_image_rows,
    lock_message,
    next_number,
    notify,
    notify_followers,
    record_event,
    remove_files,
    transition_guard,
    write_image_files,
    wrong_state_error,
)
from .transactions import entry_point, service_atomic

# --- citizen actions -----------------------------------------------------------------------------


def message_submit(
    *,
    author: Person,
    category: Category,
    text: str,
    occurred_at: datetime,
    address: str,
    latitude: float | None = None,
    longitude: float | None = None,
    photos: Sequence[ProcessedImage] = (),
    show_author_name: bool = False,
    client_token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Message:
    """§3, §4, §5.2–5.4: a citizen sends a message; it gets its number and registration deadline at once.

    §4.1: the information is «в текстовой или иной форме» — a text, or at least one photo, or both.
    `photos` are ProcessedImage objects from messages.photos (already validated as a batch). With the same
    `client_token` posted twice the first message is returned and nothing new is created.
    """
    if author is None or not author.is_authenticated or not author.is_active:
        raise MessageActionError("Чтобы отправить сообщение, войдите на платформу (§3.2).", code="auth")
    if client_token is not None:
        existing = Message.objects.filter(author=author, client_token=client_token).first()
        if existing is not None:
            return existing
    if not category.is_active:
        raise MessageActionError("Эта категория больше не принимает сообщения.", field="category")
    text = (text or "").strip()
    if not text and not photos:
        raise MessageActionError(TEXT_OR_PHOTO_REQUIRED, field="text")
    if not address or not address.strip():
        raise MessageActionError("Укажите место, с которым связана проблема (§4.1).", field="address")
    if len(photos) > MAX_FILES:
        raise MessageActionError(f"Можно приложить не более {MAX_FILES} фотографий (§4.6).", field="photos")
    check_coordinates(latitude, longitude)
    now = now or timezone.now()
    if occurred_at > now + timedelta(minutes=5):
        raise MessageActionError("Дата и время проблемы не могут быть в будущем.", field="occurred_at")

    written: WrittenFiles = []
    try:
        # The files first, outside the transaction: the number counter below is locked until the commit,
        # so only quick inserts may follow it (issue 10.4).
        stored_photos = write_image_files(Photo, photos, written)
        registration_due = add_working_days(now, REGISTRATION_WORKING_DAYS)
        with service_atomic():
            _lock_active_author(author)
            message = Message.objects.create(
                number=next_number(now),
                author=author,
                category=category,
                text=text,
                occurred_at=occurred_at,
                address=address.strip(),
                latitude=latitude,
                longitude=longitude,
                show_author_name=show_author_name,
                photo_count=len(photos),
                submitted_at=now,
                registration_due=registration_due,
                client_token=client_token,
            )
            create_image_rows(Photo, "message", message, stored_photos)
            event = record_event(message, Kind.SUBMITTED, actor=author, from_state="", now=now)
            notify(event, NKind.RECEIVED, [author])
    except IntegrityError:
        remove_files(written)
        if client_token is not None:
            # The same form won a race against itself: the other request created the message.
            existing = Message.objects.filter(author=author, client_token=client_token).first()
            if existing is not None:
                return existing
        raise
    except BaseException:
        # Nothing half-saved: the rows rolled back, so the files go too.
        remove_files(written)
        raise
    return message


def _lock_active_author(author: User) -> None:
    """Serialise a submission with the deletion of its author's account (152-ФЗ, issue 11.8): the deletion
    locks the same row, so either it sees this message and withdraws it, or this submission sees the
    account gone. NO KEY UPDATE, like account_delete: the message's foreign key takes a key-share lock."""
    locked = get_user_model().objects.select_for_update(no_key=True).filter(pk=author.pk, is_active=True)
    if not locked.exists():
        raise MessageActionError("Чтобы отправить сообщение, войдите на платформу (§3.2).", code="auth")


def message_resubmit(
    *,
    message: Message | int,
    actor: Person,
    text: str | None = None,
    category: Category | None = None,
    occurred_at: datetime | None = None,
    address: str | None = None,
    point: tuple[Any, Any] | Literal["keep"] | None = "keep",
    remove_photos: Iterable[uuid.UUID | str] = (),
    add_photos: Sequence[ProcessedImage] = (),
    now: datetime | None = None,
) -> Message:
    """§5.7: the author corrects a rejected message completely and sends it again: back to moderation.

    Everything §4 asks of a message can be corrected: the text, the category, the date and the place, and
    the photos (§4.5–4.7) — `remove_photos` are tokens of the message's photos to drop, `add_photos` new
    ProcessedImage objects (messages.photos, validated as a batch); a replacement is one of each. At most
    four photos in all (§4.6), and a text or at least one photo (§4.1). The event records which photos
    went and came; the files of removed photos are deleted once the correction is committed, so nothing
    serves them any more. A None field stays as it was; `point` is (latitude, longitude), None to remove
    the point, or "keep".
    """
    if point != "keep":
        check_coordinates(*(point or (None, None)))
    written: WrittenFiles = []
    try:
        # The new files first, outside the transaction, like a submission: no file I/O under the lock.
        stored_photos = write_image_files(Photo, add_photos, written)
        with service_atomic():
            message = _correct_locked(
                message,
                actor=actor,
                text=text,
                category=category,
                occurred_at=occurred_at,
                address=address,
                point=point,
                remove_photos={str(token) for token in remove_photos},
                stored_photos=stored_photos,
                now=now or timezone.now(),
            )
    except BaseException:
        # Nothing half-saved: the rows rolled back, so the new files go too (the old ones were kept).
        remove_files(written)
        raise
    return message


def _correct_locked(
    message: Message | int,
    *,
    actor: Person,
    text: str | None,
    category: Category | None,
    occurred_at: datetime | None,
    address: str | None,
    point: tuple[Any, Any] | Literal["keep"] | None,
    remove_photos: set[str],
    stored_photos: list[dict[str, Any]],
    now: datetime,
) -> Message:
    """The body of message_resubmit, under the message's row lock."""
    message = lock_message(message)
    if actor is None or message.author_id != actor.pk:
        raise MessageActionError("Исправить и отправить повторно может только автор сообщения.")
    if message.duplicate_of is not None:
        raise MessageActionError(
            "Сообщение отклонено как дубликат (§4.4): следите за исходным сообщением "
            f"№ {message.duplicate_of.number} и поддержите его."
        )
    from_state = message.state
    with transition_guard(message):
        message.resubmit()
    if category is not None:
        if not category.is_active:
            raise MessageActionError("Эта категория больше не принимает сообщения.", field="category")
        message.category = category
    if text is not None:
        message.text = text.strip()
    if occurred_at is not None:
        message.occurred_at = occurred_at
    if address is not None:
        if not address.strip():
            raise MessageActionError("Укажите место, с которым связана проблема (§4.1).", field="address")
        message.address = address.strip()
    if point != "keep":
        message.latitude, message.longitude = point or (None, None)

    photos = list(Photo.objects.filter(message=message).order_by("position", "id"))
    removed = [photo for photo in photos if str(photo.token) in remove_photos]
    if len(removed) != len(remove_photos):
        # A stale form (the photo went in an earlier correction): nothing is guessed.
        raise MessageActionError(
            "Отмеченная фотография уже удалена. Обновите страницу.", field="remove_photos"
        )
    kept = [photo for photo in photos if photo not in removed]
    if len(kept) + len(stored_photos) > MAX_FILES:
        raise MessageActionError(
            f"Можно приложить не более {MAX_FILES} фотографий (§4.6): остаётся {len(kept)}, "
            f"добавить можно ещё {max(0, MAX_FILES - len(kept))}. Отметьте, какие удалить.",
            field="photos",
        )
    if not message.text and not kept and not stored_photos:
        raise MessageActionError(TEXT_OR_PHOTO_REQUIRED, field="text")

    old_files: WrittenFiles = [
        (field.storage, field.name)
        for photo in removed
        for field in (photo.image, photo.thumbnail, photo.original)
        if field.name
    ]
    Photo.objects.filter(pk__in=[photo.pk for photo in removed]).delete()
    for position, photo in enumerate(kept):
        if photo.position != position:
            Photo.objects.filter(pk=photo.pk).update(position=position)
    create_image_rows(Photo, "message", message, stored_photos, start=len(kept))
    message.photo_count = len(kept) + len(stored_photos)
    message.registration_due = add_working_days(now, REGISTRATION_WORKING_DAYS)
    message.save(
        update_fields=[
            "state",
            "category",
            "text",
            "occurred_at",
            "address",
            "latitude",
            "longitude",
            "photo_count",
            "registration_due",
            "updated_at",
        ]
    )
    message.rejection_reasons.clear()
    event = record_event(
        message,
        Kind.RESUBMITTED,
        actor=actor,
        from_state=from_state,
        now=now,
        data={
            "photos_removed": [str(photo.token) for photo in removed],
            "photos_added": [str(values["token"]) for values in stored_photos],
        },
    )
    notify(event, NKind.RECEIVED, [message.author])
    # The removed photos' files go once the rows are surely gone: a rolled-back correction keeps them.
    transaction.on_commit(lambda: remove_files(old_files))
    return message


@entry_point
def message_rate(
    *, message: Message | int, actor: Person, positive: bool, remarks: str = "", now: datetime | None = None
) -> Message:
    """§7.1–7.4: the author rates the latest answer; negative (with remarks) sends it back for rework."""
    message = lock_message(message)
    if not isinstance(actor, User) or message.author_id != actor.pk:
        raise MessageActionError("Оценить ответ может только автор сообщения.")
    answer = message.answers.order_by("-created_at", "-id").first()
    if message.state != State.ANSWERED or answer is None:
        raise wrong_state_error(message)
    if Rating.objects.filter(answer=answer).exists():
        raise MessageActionError("Этот ответ уже оценён.", code="wrong_state")
    remarks = (remarks or "").strip()
    if not positive and not remarks:
        raise MessageActionError(
            "При отрицательной оценке укажите конкретные замечания, требующие доработки (§7.2).",
            field="remarks",
        )
    now = now or timezone.now()
    from_state = message.state
    Rating.objects.create(
        answer=answer,
        message=message,
        author=actor,
        positive=positive,
        remarks=remarks,
        created_at=now,
        # §7.2–7.3: the organisation and the author read them at once, the public after a moderator.
        remarks_review=Rating.Review.PENDING if remarks else Rating.Review.NONE,
    )
    if positive:
        with transition_guard(message):
            message.close()
        message.closed_at = now
        message.save(update_fields=["state", "closed_at", "updated_at"])
        event = record_event(
            message,
            Kind.RATED_POSITIVE,
            actor=actor,
            from_state=from_state,
            now=now,
            data={"answer": answer.pk},
        )
        # The author closed it themselves and gets no notice; the people who follow it learn it closed.
        notify_followers(event, NKind.FOLLOW_CLOSED)
        return message
    with transition_guard(message):
        message.send_to_rework()
    message.rework_count = F("rework_count") + 1
    message.answer_due = add_working_days(now, ANSWER_WORKING_DAYS)
    message.save(update_fields=["state", "rework_count", "answer_due", "updated_at"])
    message.refresh_from_db(fields=["rework_count"])
    event = record_event(
        message,
        Kind.RATED_NEGATIVE,
        actor=actor,
        from_state=from_state,
        comment=remarks,
        now=now,
        data={"answer": answer.pk, "rework_count": message.rework_count},
    )
    notify(event, NKind.REWORK, [message.author])
    notify_followers(event, NKind.FOLLOW_REWORK)
    notify(event, NKind.REWORK_ASSIGNED, answerer_users(message))
    return message


def new_guest_token() -> str:
    """A random identity for a guest's supports (§7.5), kept in a cookie."""
    return secrets.token_urlsafe(24)


def message_support(*, message: Message | int, user: Person = None, guest_token: str | None = None) -> bool:
    """§7.5: one support per user or guest per public message. Returns True if counted, False if already."""
    if (user is None or not user.is_authenticated) and not guest_token:
        raise MessageActionError("Не удалось определить, кто поддерживает сообщение.", code="auth")
    with service_atomic():
        # The lock also serialises the count update, so support_count always equals the rows.
        message = lock_message(message)
        if message.state not in PUBLIC_STATES:
            raise MessageActionError("Поддержать можно только опубликованное сообщение.", code="wrong_state")
        if message.state == State.CLOSED:
            # §7.5 counts support for messages in consideration; a closed one stays public as a record only.
            raise MessageActionError(
                "Сообщение закрыто: рассмотрение завершено, поддержка больше не принимается.", code="closed"
            )
        if user is not None and user.is_authenticated:
            if message.author_id == user.pk:
                raise MessageActionError("Нельзя поддержать собственное сообщение.")
            lookup: dict[str, Any] = {"user": user}
        else:
            lookup = {"guest_token": guest_token}
        try:
            with transaction.atomic():
                Support.objects.create(message=message, **lookup)
        except IntegrityError:
            return False
        Message.objects.filter(pk=message.pk).update(support_count=F("support_count") + 1)
    return True


def notifications_mark_read(*, user: User, ids: Iterable[int], now: datetime | None = None) -> int:
    """The person has seen these notifications. Only their own: ids of others' rows are ignored."""
    return Notification.objects.filter(recipient=user, pk__in=list(ids), read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
