"""What every message service shares: the row lock, the transition, the event and the outbox."""

import uuid

from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from directory import routing

from ..errors import MessageActionError
from ..models import (
    Message,
    MessageEvent,
    Notification,
    YearCounter,
)
from ..notifications import DIGEST_KINDS

REGISTRATION_WORKING_DAYS = 3  # §5.4
ANSWER_WORKING_DAYS = 10  # §6.2, and again after a negative rating (§7.3)

Kind = MessageEvent.Kind
NKind = Notification.Kind


def _locked(message):
    pk = message.pk if isinstance(message, Message) else message
    try:
        return Message.objects.select_for_update(of=("self",)).select_related("category", "author").get(pk=pk)
    except Message.DoesNotExist:
        raise MessageActionError("Сообщение не найдено.", code="not_found") from None


def _official(actor):
    return routing.active_official(actor)


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
    """Outbox rows in the event's transaction; the worker mails them (at most once each). A digest-only
    kind (`assigned`, notifications.DIGEST_KINDS) is created as not to be mailed and wakes nobody."""
    mailed = kind not in DIGEST_KINDS
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
                email_status=Notification.EmailStatus.PENDING if mailed else Notification.EmailStatus.SKIPPED,
                next_attempt_at=event.created_at if mailed else None,
            )
        )
    Notification.objects.bulk_create(rows)
    if rows and mailed:
        _wake_outbox()
    return rows


def _wake_outbox():
    """Ask the worker to deliver soon after commit; the schedule picks up anything this misses."""
    from ..tasks import enqueue_outbox_delivery_on_commit  # late: the tasks module imports the services

    enqueue_outbox_delivery_on_commit()


def _answerer_users(message):
    officials = routing.category_answerers(message.category, message.executing_organization).select_related(
        "user"
    )
    return [o.user for o in officials]


def _store_images(owner_model, owner_field, owner, images, written, start=0):
    _create_image_rows(
        owner_model, owner_field, owner, _write_image_files(owner_model, images, written), start
    )


def _write_image_files(owner_model, images, written):
    """Write the files of processed images; every name written goes into `written` at once (so a caller
    can remove them if anything later fails). Returns the row values for `_create_image_rows`.

    Call it before taking any lock: file I/O (a slow disk, object storage) must not hold up others."""
    storage = owner_model._meta.get_field("image").storage
    stored = []
    for image in images:
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
        stored.append(
            {
                "token": uuid.UUID(image.token),
                "image": web_name,
                "thumbnail": thumb_name,
                "original": original_name,
                "original_name": image.original_name[:255],
                "source_format": image.source_format,
                "width": image.width,
                "height": image.height,
            }
        )
    return stored


def _create_image_rows(owner_model, owner_field, owner, stored, start=0):
    for position, values in enumerate(stored, start=start):
        owner_model.objects.create(**{owner_field: owner}, position=position, **values)


def _remove_files(written):
    for storage, name in written:
        storage.delete(name)


def _next_number(now):
    """§5.2: unique numbers like 2026-000123, from the per-year counter row.

    The UPDATE locks that row until the caller's transaction ends, and every submission in the city
    needs it: call this as the last step before the insert, with the photos already written and nothing
    slow left in the transaction (issue 10.4). A rolled-back submission gives its number back.
    """
    year = timezone.localtime(now).year
    counter = YearCounter.objects.filter(year=year)
    if not counter.update(last=F("last") + 1):
        YearCounter.objects.get_or_create(year=year)  # the year's first message (a racing twin is fine)
        counter.update(last=F("last") + 1)
    last = counter.values_list("last", flat=True).get()
    return f"{year}-{last:06d}"


def _check_coordinates(latitude, longitude):
    if (latitude is None) != (longitude is None):
        raise MessageActionError(
            "Укажите и широту, и долготу точки или не указывайте точку.", field="latitude"
        )
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise MessageActionError("Координаты точки вне допустимых значений.", field="latitude")


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
