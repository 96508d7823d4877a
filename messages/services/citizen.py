"""Actions of citizens and guests: submit, correct and resubmit, rate, support (§3–§4, §7)."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from directory.workdays import add_working_days

from ..errors import MessageActionError
from ..models import (
    PUBLIC_STATES,
    Message,
    Notification,
    Photo,
    Rating,
    State,
    Support,
)
from ..photos import MAX_FILES
from .common import (
    ANSWER_WORKING_DAYS,
    REGISTRATION_WORKING_DAYS,
    Kind,
    NKind,
    _answerer_users,
    _check_coordinates,
    _create_image_rows,
    _event,
    _locked,
    _next_number,
    _notify,
    _remove_files,
    _transition,
    _write_image_files,
    _wrong_state,
)

# --- citizen actions -----------------------------------------------------------------------------


def message_submit(
    *,
    author,
    category,
    text,
    occurred_at,
    address,
    latitude=None,
    longitude=None,
    photos=(),
    show_author_name=False,
    client_token=None,
    now=None,
):
    """§3, §4, §5.2–5.4: a citizen sends a message; it gets its number and registration deadline at once.

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
    if not text or not text.strip():
        raise MessageActionError("Опишите проблему.", field="text")
    if not address or not address.strip():
        raise MessageActionError("Укажите место, с которым связана проблема (§4.1).", field="address")
    if len(photos) > MAX_FILES:
        raise MessageActionError(f"Можно приложить не более {MAX_FILES} фотографий (§4.6).", field="photos")
    _check_coordinates(latitude, longitude)
    now = now or timezone.now()
    if occurred_at > now + timedelta(minutes=5):
        raise MessageActionError("Дата и время проблемы не могут быть в будущем.", field="occurred_at")

    written = []
    try:
        # The files first, outside the transaction: the number counter below is locked until the commit,
        # so only quick inserts may follow it (issue 10.4).
        stored_photos = _write_image_files(Photo, photos, written)
        registration_due = add_working_days(now, REGISTRATION_WORKING_DAYS)
        with transaction.atomic():
            _lock_active_author(author)
            message = Message.objects.create(
                number=_next_number(now),
                author=author,
                category=category,
                text=text.strip(),
                occurred_at=occurred_at,
                address=address.strip(),
                latitude=latitude,
                longitude=longitude,
                show_author_name=show_author_name,
                submitted_at=now,
                registration_due=registration_due,
                client_token=client_token,
            )
            _create_image_rows(Photo, "message", message, stored_photos)
            event = _event(message, Kind.SUBMITTED, actor=author, from_state="", now=now)
            _notify(event, NKind.RECEIVED, [author])
    except IntegrityError:
        _remove_files(written)
        if client_token is not None:
            # The same form won a race against itself: the other request created the message.
            existing = Message.objects.filter(author=author, client_token=client_token).first()
            if existing is not None:
                return existing
        raise
    except BaseException:
        # Nothing half-saved: the rows rolled back, so the files go too.
        _remove_files(written)
        raise
    return message


def _lock_active_author(author):
    """Serialise a submission with the deletion of its author's account (152-ФЗ, issue 11.8): the deletion
    locks the same row, so either it sees this message and withdraws it, or this submission sees the
    account gone. NO KEY UPDATE, like account_delete: the message's foreign key takes a key-share lock."""
    locked = get_user_model().objects.select_for_update(no_key=True).filter(pk=author.pk, is_active=True)
    if not locked.exists():
        raise MessageActionError("Чтобы отправить сообщение, войдите на платформу (§3.2).", code="auth")


@transaction.atomic
def message_resubmit(*, message, actor, text=None, category=None, occurred_at=None, address=None, now=None):
    """The author corrects a rejected message (§5.7) and sends it again: back to moderation."""
    message = _locked(message)
    if actor is None or message.author_id != actor.pk:
        raise MessageActionError("Исправить и отправить повторно может только автор сообщения.")
    if message.duplicate_of_id is not None:
        raise MessageActionError(
            "Сообщение отклонено как дубликат (§4.4): следите за исходным сообщением "
            f"№ {message.duplicate_of.number} и поддержите его."
        )
    from_state = message.state
    _transition(message, "resubmit")
    now = now or timezone.now()
    if category is not None:
        if not category.is_active:
            raise MessageActionError("Эта категория больше не принимает сообщения.", field="category")
        message.category = category
    if text is not None:
        if not text.strip():
            raise MessageActionError("Опишите проблему.", field="text")
        message.text = text.strip()
    if occurred_at is not None:
        message.occurred_at = occurred_at
    if address is not None:
        if not address.strip():
            raise MessageActionError("Укажите место, с которым связана проблема (§4.1).", field="address")
        message.address = address.strip()
    message.registration_due = add_working_days(now, REGISTRATION_WORKING_DAYS)
    message.save(
        update_fields=[
            "state",
            "category",
            "text",
            "occurred_at",
            "address",
            "registration_due",
            "updated_at",
        ]
    )
    message.rejection_reasons.clear()
    event = _event(message, Kind.RESUBMITTED, actor=actor, from_state=from_state, now=now)
    _notify(event, NKind.RECEIVED, [message.author])
    return message


@transaction.atomic
def message_rate(*, message, actor, positive, remarks="", now=None):
    """§7.1–7.4: the author rates the latest answer; negative (with remarks) sends it back for rework."""
    message = _locked(message)
    if actor is None or message.author_id != actor.pk:
        raise MessageActionError("Оценить ответ может только автор сообщения.")
    answer = message.answers.order_by("-created_at", "-id").first()
    if message.state != State.ANSWERED or answer is None:
        raise _wrong_state(message)
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
        answer=answer, message=message, author=actor, positive=positive, remarks=remarks, created_at=now
    )
    if positive:
        _transition(message, "close")
        message.closed_at = now
        message.save(update_fields=["state", "closed_at", "updated_at"])
        _event(
            message,
            Kind.RATED_POSITIVE,
            actor=actor,
            from_state=from_state,
            now=now,
            data={"answer": answer.pk},
        )
        return message
    _transition(message, "send_to_rework")
    message.rework_count = F("rework_count") + 1
    message.answer_due = add_working_days(now, ANSWER_WORKING_DAYS)
    message.save(update_fields=["state", "rework_count", "answer_due", "updated_at"])
    message.refresh_from_db(fields=["rework_count"])
    event = _event(
        message,
        Kind.RATED_NEGATIVE,
        actor=actor,
        from_state=from_state,
        comment=remarks,
        now=now,
        data={"answer": answer.pk, "rework_count": message.rework_count},
    )
    _notify(event, NKind.REWORK, [message.author])
    _notify(event, NKind.REWORK_ASSIGNED, _answerer_users(message))
    return message


def new_guest_token():
    return secrets.token_urlsafe(24)


def message_support(*, message, user=None, guest_token=None):
    """§7.5: one support per user or guest per public message. Returns True if counted, False if already."""
    if (user is None or not user.is_authenticated) and not guest_token:
        raise MessageActionError("Не удалось определить, кто поддерживает сообщение.", code="auth")
    with transaction.atomic():
        # The lock also serialises the count update, so support_count always equals the rows.
        message = _locked(message)
        if message.state not in PUBLIC_STATES:
            raise MessageActionError("Поддержать можно только опубликованное сообщение.", code="wrong_state")
        if user is not None and user.is_authenticated:
            if message.author_id == user.pk:
                raise MessageActionError("Нельзя поддержать собственное сообщение.")
            lookup = {"user": user}
        else:
            lookup = {"guest_token": guest_token}
        try:
            with transaction.atomic():
                Support.objects.create(message=message, **lookup)
        except IntegrityError:
            return False
        Message.objects.filter(pk=message.pk).update(support_count=F("support_count") + 1)
    return True


def notifications_mark_read(*, user, ids, now=None):
    """The person has seen these notifications. Only their own: ids of others' rows are ignored."""
    return Notification.objects.filter(recipient=user, pk__in=list(ids), read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
