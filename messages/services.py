"""Every write to a message. One function per transition (DESIGN.md "The message lifecycle").

Each service: runs in one transaction, locks the message row (`select_for_update`) so that two people
acting at once are serialised — the second one sees the new state and gets a clear refusal — checks the
actor's right, runs the django-fsm transition, saves the changed fields, writes one MessageEvent and the
Notification rows (the outbox) the event implies. Views, tasks and commands call these and nothing else.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from directory import routing
from directory.models import RejectionReason
from directory.workdays import add_working_days

from .errors import MessageActionError
from .models import (
    PUBLIC_STATES,
    Answer,
    AnswerAttachment,
    Message,
    MessageEvent,
    Notification,
    Photo,
    Rating,
    State,
    Support,
    YearCounter,
)
from .photos import MAX_FILES

REGISTRATION_WORKING_DAYS = 3  # §5.4
ANSWER_WORKING_DAYS = 10  # §6.2, and again after a negative rating (§7.3)

Kind = MessageEvent.Kind
NKind = Notification.Kind


# --- helpers -------------------------------------------------------------------------------------


def _locked(message):
    pk = message.pk if isinstance(message, Message) else message
    try:
        return Message.objects.select_for_update(of=("self",)).select_related("category", "author").get(pk=pk)
    except Message.DoesNotExist:
        raise MessageActionError("Сообщение не найдено.", code="not_found") from None


def _official(actor):
    official = getattr(actor, "official", None) if actor is not None and actor.is_authenticated else None
    if official is None or not official.is_active or not actor.is_active:
        return None
    return official


def _wrong_state(message):
    return MessageActionError(
        f"Действие недоступно: сообщение {message.number} сейчас в состоянии «{message.get_state_display()}».",
        code="wrong_state",
    )


def _transition(message, method_name):
    try:
        getattr(message, method_name)()
    except TransitionNotAllowed:
        raise _wrong_state(message) from None


def _event(message, kind, *, actor, from_state, comment="", data=None, now=None):
    return MessageEvent.objects.create(
        message=message,
        kind=kind,
        from_state=from_state,
        to_state=message.state,
        actor=actor,
        created_at=now or timezone.now(),
        comment=comment,
        data=data or {},
        is_public=kind in MessageEvent.PUBLIC_KINDS,
    )


def _notify(event, kind, recipients):
    """Outbox rows in the event's transaction; the worker mails them (at most once each)."""
    seen = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                message=event.message,
                event=event,
                created_at=event.created_at,
                next_attempt_at=event.created_at,
            )
        )
    Notification.objects.bulk_create(rows)
    if rows:
        _wake_outbox()
    return rows


def _wake_outbox():
    """Ask the worker to deliver soon after commit; the schedule picks up anything this misses."""
    try:
        from .tasks import enqueue_outbox_delivery
    except ImportError:  # the worker module is optional for the core
        return
    transaction.on_commit(enqueue_outbox_delivery)


def _answerer_users(message):
    officials = routing.category_answerers(message.category, message.executing_organization).select_related(
        "user"
    )
    return [o.user for o in officials]


def _store_images(owner_model, owner_field, owner, images, written, start=0):
    for position, image in enumerate(images, start=start):
        storage = owner_model._meta.get_field("image").storage
        web_name = storage.save(f"{image.token[:2]}/{image.token}.jpg", ContentFile(image.web))
        written.append((storage, web_name))
        thumb_name = storage.save(f"{image.token[:2]}/{image.token}_thumb.jpg", ContentFile(image.thumbnail))
        written.append((storage, thumb_name))
        original_name = ""
        if image.original is not None:
            original_name = storage.save(
                f"originals/{image.token}{image.original_extension}", ContentFile(image.original)
            )
            written.append((storage, original_name))
        owner_model.objects.create(
            **{owner_field: owner},
            token=uuid.UUID(image.token),
            position=position,
            image=web_name,
            thumbnail=thumb_name,
            original=original_name,
            original_name=image.original_name[:255],
            source_format=image.source_format,
            width=image.width,
            height=image.height,
        )


def _remove_files(written):
    for storage, name in written:
        storage.delete(name)


def _next_number(now):
    """§5.2: unique numbers like 2026-000123. The counter row is locked, so parallel submissions queue."""
    year = timezone.localtime(now).year
    YearCounter.objects.get_or_create(year=year)
    counter = YearCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"{year}-{counter.last:06d}"


def _check_coordinates(latitude, longitude):
    if (latitude is None) != (longitude is None):
        raise MessageActionError(
            "Укажите и широту, и долготу точки или не указывайте точку.", field="latitude"
        )
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise MessageActionError("Координаты точки вне допустимых значений.", field="latitude")


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
        with transaction.atomic():
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
                registration_due=add_working_days(now, REGISTRATION_WORKING_DAYS),
                client_token=client_token,
            )
            _store_images(Photo, "message", message, photos, written)
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


# --- staff actions -------------------------------------------------------------------------------


def _require_moderator(actor, category):
    official = _official(actor)
    if not routing.can_moderate(official, category):
        raise MessageActionError("Вы не модерируете сообщения этой категории.")
    return official


def _check_routable(category, organization):
    if organization.pk not in {o.pk for o in category.executing_organizations()}:
        raise MessageActionError(
            f"Организация «{organization}» не участвует в рассмотрении сообщений категории «{category}».",
            field="executing_organization",
        )
    if not routing.category_answerers(category, organization).exists():
        raise MessageActionError(
            f"В организации «{organization}» нет сотрудника, который может ответить по категории «{category}». "
            "Выберите другую организацию или попросите администратора назначить исполнителя.",
            field="executing_organization",
        )


@transaction.atomic
def message_register(*, message, actor, executing_organization=None, category=None, comment="", now=None):
    """§5.4–5.6: the moderator accepts the message, routes it, publishes it; answer due in 10 working days."""
    message = _locked(message)
    _require_moderator(actor, message.category)
    if category is not None and category.pk != message.category_id:
        if not category.is_active:
            raise MessageActionError("Эта категория больше не принимает сообщения.", field="category")
        _require_moderator(actor, category)
        message.category = category
    organization = executing_organization or message.category.responsible_organization
    from_state = message.state
    _transition(message, "register")
    _check_routable(message.category, organization)
    now = now or timezone.now()
    message.executing_organization = organization
    message.registered_at = now
    message.answer_due = add_working_days(now, ANSWER_WORKING_DAYS)
    message.save(
        update_fields=[
            "state",
            "category",
            "executing_organization",
            "registered_at",
            "answer_due",
            "updated_at",
        ]
    )
    event = _event(
        message,
        Kind.REGISTERED,
        actor=actor,
        from_state=from_state,
        comment=comment,
        now=now,
        data={"organization": organization.pk, "category": message.category_id},
    )
    _notify(event, NKind.REGISTERED, [message.author])
    _notify(event, NKind.ASSIGNED, _answerer_users(message))
    return message


@transaction.atomic
def message_reject(*, message, actor, reasons, comment="", duplicate_of=None, now=None):
    """§5.5, §5.7, §4.4: the moderator refuses registration with reasons the author reads in the email."""
    message = _locked(message)
    _require_moderator(actor, message.category)
    reasons = list(reasons)
    if not reasons:
        raise MessageActionError("Выберите хотя бы одну причину отказа.", field="reasons")
    is_duplicate = any(r.code == RejectionReason.DUPLICATE for r in reasons)
    if is_duplicate:
        if duplicate_of is None:
            raise MessageActionError(
                "Укажите номер исходного сообщения, дубликатом которого является это.", field="duplicate_of"
            )
        if duplicate_of.pk == message.pk:
            raise MessageActionError("Сообщение не может быть дубликатом самого себя.", field="duplicate_of")
    elif duplicate_of is not None:
        raise MessageActionError(
            "Номер исходного сообщения указывается только для причины «дубликат».", field="duplicate_of"
        )
    from_state = message.state
    _transition(message, "reject")
    message.duplicate_of = duplicate_of if is_duplicate else None
    message.save(update_fields=["state", "duplicate_of", "updated_at"])
    message.rejection_reasons.set(reasons)
    event = _event(
        message,
        Kind.REJECTED,
        actor=actor,
        from_state=from_state,
        comment=comment,
        now=now,
        data={
            "reasons": [r.code for r in reasons],
            "duplicate_of": duplicate_of.number if is_duplicate else None,
        },
    )
    _notify(event, NKind.REJECTED, [message.author])
    return message


@transaction.atomic
def message_reassign(*, message, actor, executing_organization, comment="", now=None):
    """The moderator routes a registered message to another organisation; the state and deadline stay."""
    message = _locked(message)
    _require_moderator(actor, message.category)
    if message.state not in (State.REGISTERED, State.REWORK):
        raise MessageActionError(
            f"Передать можно только сообщение, ожидающее ответа; сейчас оно «{message.get_state_display()}».",
            code="wrong_state",
        )
    if executing_organization.pk == message.executing_organization_id:
        raise MessageActionError("Сообщение уже направлено этой организации.", field="executing_organization")
    _check_routable(message.category, executing_organization)
    previous = message.executing_organization
    message.executing_organization = executing_organization
    message.save(update_fields=["executing_organization", "updated_at"])
    event = _event(
        message,
        Kind.REASSIGNED,
        actor=actor,
        from_state=message.state,
        comment=comment,
        now=now,
        data={"from": previous.pk if previous else None, "to": executing_organization.pk},
    )
    _notify(event, NKind.ASSIGNED, _answerer_users(message))
    return message


@transaction.atomic
def message_request_reassign(*, message, actor, comment, now=None):
    """An executor says the message is not their organisation's competence; the moderators decide."""
    message = _locked(message)
    official = _official(actor)
    if not routing.can_answer(official, message.category, message.executing_organization):
        raise MessageActionError("Вы не отвечаете на это сообщение.")
    if message.state not in (State.REGISTERED, State.REWORK):
        raise MessageActionError(
            "Просить о передаче можно только сообщение, ожидающее ответа.", code="wrong_state"
        )
    if not (comment or "").strip():
        raise MessageActionError(
            "Объясните, почему сообщение не относится к вашей организации.", field="comment"
        )
    event = _event(
        message,
        Kind.REASSIGN_REQUESTED,
        actor=actor,
        from_state=message.state,
        comment=comment.strip(),
        now=now,
        data={"organization": official.organization_id},
    )
    moderators = routing.category_moderators(message.category, include_supervisors=True).select_related(
        "user"
    )
    _notify(event, NKind.REASSIGN_REQUESTED, [m.user for m in moderators])
    return event


def message_answer(*, message, actor, kind, text, planned_date=None, attachments=(), now=None):
    """§6.1–6.4, §7.3: the executing organisation answers; the author is notified and may rate it."""
    written = []
    try:
        with transaction.atomic():
            message = _locked(message)
            official = _official(actor)
            if not routing.can_answer(official, message.category, message.executing_organization):
                raise MessageActionError(
                    "Отвечать на это сообщение могут только сотрудники организации-исполнителя, "
                    "ответственные за его категорию."
                )
            if kind not in Answer.Kind.values:
                raise MessageActionError("Выберите результат рассмотрения.", field="kind")
            text = (text or "").strip()
            if not text:
                field_text = (
                    "Обоснуйте невозможность решения вопроса (§6.2)."
                    if kind == Answer.Kind.IMPOSSIBLE
                    else "Напишите текст ответа."
                )
                raise MessageActionError(field_text, field="text")
            if kind == Answer.Kind.PLANNED and planned_date is None:
                raise MessageActionError("Укажите планируемый срок решения (§6.2).", field="planned_date")
            if kind != Answer.Kind.PLANNED:
                planned_date = None
            if len(attachments) > MAX_FILES:
                raise MessageActionError(
                    f"Можно приложить не более {MAX_FILES} файлов (§6.3).", field="attachments"
                )
            from_state = message.state
            is_rework = from_state == State.REWORK
            _transition(message, "answer")
            now = now or timezone.now()
            answer = Answer.objects.create(
                message=message,
                kind=kind,
                text=text,
                planned_date=planned_date,
                author=official,
                organization=message.executing_organization,
                created_at=now,
                is_rework=is_rework,
            )
            _store_images(AnswerAttachment, "answer", answer, attachments, written)
            message.answered_at = now
            message.save(update_fields=["state", "answered_at", "updated_at"])
            event = _event(
                message,
                Kind.ANSWERED,
                actor=actor,
                from_state=from_state,
                now=now,
                data={
                    "answer": answer.pk,
                    "kind": kind,
                    "on_time": now <= message.answer_due if message.answer_due else None,
                },
            )
            _notify(event, NKind.ANSWERED, [message.author])
    except BaseException:
        _remove_files(written)
        raise
    return answer


# --- system actions ------------------------------------------------------------------------------


@transaction.atomic
def message_close_unrated(*, message, now=None):
    """The author did not rate the answer within RATING_WINDOW_DAYS: the worker closes the message."""
    message = _locked(message)
    now = now or timezone.now()
    if message.state != State.ANSWERED:
        raise MessageActionError("Закрыть без оценки можно только сообщение с ответом.", code="wrong_state")
    if message.answered_at is None or message.answered_at > now - timedelta(days=settings.RATING_WINDOW_DAYS):
        raise MessageActionError("Срок для оценки ответа ещё не истёк.", code="too_early")
    from_state = message.state
    _transition(message, "close")
    message.closed_at = now
    message.save(update_fields=["state", "closed_at", "updated_at"])
    event = _event(message, Kind.CLOSED_UNRATED, actor=None, from_state=from_state, now=now)
    _notify(event, NKind.CLOSED, [message.author])
    return message
