"""What every message service shares: the row lock, the transition, the event and the outbox.

The public helpers of the services package (`messages.services.*` and `messages.deadlines`). They run
inside the caller's transaction and never open one of their own: the entry points (the `message_*`
functions) are the transactions.
"""

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db.models import F, Model
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from directory import routing

from ..errors import MessageActionError
from ..models import (
    PUBLIC_STATES,
    Message,
    MessageEvent,
    MessageFollow,
    Notification,
    YearCounter,
)
from ..notifications import DIGEST_KINDS
from ..outbox import enqueue_outbox_delivery_on_commit
from ..places import OUT_OF_BOUNDS, in_city

REGISTRATION_WORKING_DAYS = 3  # §5.4
ANSWER_WORKING_DAYS = 10  # §6.2, and again after a negative rating (§7.3)

if TYPE_CHECKING:
    from accounts.models import User
    from directory.models import Category, Official, Organization

    from ..photos import ProcessedImage

Kind = MessageEvent.Kind
NKind = Notification.Kind
# Files a service has written so far: removed again should the transaction fail (issue 10.4).
# Who acts: an account, the anonymous visitor of a request (refused by the services), or the worker.
Person: TypeAlias = "User | AnonymousUser | None"
WrittenFiles: TypeAlias = list[tuple[Storage, str]]


def lock_message(message: Message | int) -> Message:
    """The message row, locked until the transaction ends (`select_for_update`), with its category and author."""
    pk = message.pk if isinstance(message, Message) else message
    try:
        return Message.objects.select_for_update(of=("self",)).select_related("category", "author").get(pk=pk)
    except Message.DoesNotExist:
        raise MessageActionError("Сообщение не найдено.", code="not_found") from None


def active_official(actor: Person) -> "Official | None":
    """The actor's official record if both the account and the official are active, else None (the rule
    itself lives in directory.routing)."""
    return routing.active_official(actor)


def wrong_state_error(message: Message) -> MessageActionError:
    """The refusal for an action the message's current state does not allow."""
    return MessageActionError(
        f"Действие недоступно: сообщение {message.number} сейчас в состоянии «{message.get_state_display()}».",
        code="wrong_state",
    )


@contextmanager
def transition_guard(message: Message) -> Iterator[None]:
    """Run a django-fsm transition method (`with transition_guard(m): m.register()`): a transition the
    state does not allow becomes the user-facing `wrong_state` refusal."""
    try:
        yield
    except TransitionNotAllowed:
        raise wrong_state_error(message) from None


def record_event(
    message: Message,
    kind: str,
    *,
    actor: Person,
    from_state: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> MessageEvent:
    """The one MessageEvent of a transition (public if its kind is); `to_state` is the message's state now."""
    return MessageEvent.objects.create(
        message=message,
        kind=kind,
        from_state=from_state,
        to_state=message.state,
        actor=None if isinstance(actor, AnonymousUser) else actor,  # the services refuse guests earlier
        created_at=now or timezone.now(),
        comment=comment,
        data=data or {},
        is_public=kind in MessageEvent.PUBLIC_KINDS,
    )


def notify(event: MessageEvent, kind: str, recipients: Iterable["User | None"]) -> list[Notification]:
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


def notify_followers(event: MessageEvent, kind: str) -> list[Notification]:
    """A public step (registered, answered, rework, closed): one `follow_*` notice for each person who
    follows the message (services/follow.py). Never the author, whom the step's own notice tells, and
    nothing while the message is not public."""
    message = event.message
    if message.state not in PUBLIC_STATES:
        return []
    follows = MessageFollow.objects.filter(message=message).select_related("user").order_by("pk")
    if message.author_id is not None:
        follows = follows.exclude(user_id=message.author_id)
    return notify(event, kind, [follow.user for follow in follows])


def _wake_outbox() -> None:
    """Ask the worker to deliver soon after commit; the schedule picks up anything this misses."""
    enqueue_outbox_delivery_on_commit()


def answerer_users(message: Message) -> list["User"]:
    """The accounts that may answer the message: its category's answerers in the executing organization."""
    officials = routing.category_answerers(message.category, message.executing_organization).select_related(
        "user"
    )
    return [o.user for o in officials]


def store_images(
    owner_model: type[Model],
    owner_field: str,
    owner: Model,
    images: Sequence["ProcessedImage"],
    written: WrittenFiles,
    start: int = 0,
) -> None:
    """Write the images' files and their rows (`write_image_files`, then `create_image_rows`)."""
    create_image_rows(owner_model, owner_field, owner, write_image_files(owner_model, images, written), start)


def write_image_files(
    owner_model: type[Model], images: Sequence["ProcessedImage"], written: WrittenFiles
) -> list[dict[str, Any]]:
    """Write the files of processed images; every name written goes into `written` at once (so a caller
    can remove them if anything later fails). Returns the row values for `create_image_rows`.

    Call it before taking any lock: file I/O (a slow disk, object storage) must not hold up others."""
    storage: Storage = owner_model._meta.get_field("image").storage  # type: ignore[union-attr]
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


def create_image_rows(
    owner_model: type[Model], owner_field: str, owner: Model, stored: list[dict[str, Any]], start: int = 0
) -> None:
    """One image row per stored file set, numbered from `start` in the given order."""
    for position, values in enumerate(stored, start=start):
        owner_model._default_manager.create(**{owner_field: owner}, position=position, **values)


def remove_files(written: WrittenFiles) -> None:
    """Delete the files a failed service wrote (its transaction rolled back, nothing refers to them)."""
    for storage, name in written:
        storage.delete(name)


def next_number(now: datetime) -> str:
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


def check_coordinates(latitude: float | None, longitude: float | None) -> None:
    """Both or neither, and inside the city's bounds (settings.MAP_BOUNDS)."""
    if (latitude is None) != (longitude is None):
        raise MessageActionError(
            "Укажите и широту, и долготу точки или не указывайте точку.", field="latitude"
        )
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise MessageActionError("Координаты точки вне допустимых значений.", field="latitude")
    if latitude is not None and longitude is not None and not in_city(latitude, longitude):
        raise MessageActionError(OUT_OF_BOUNDS, field="latitude")


def require_moderator(actor: Person, category: "Category") -> "Official":
    """The actor's official record if they moderate the category; refused otherwise."""
    official = active_official(actor)
    if official is None or not routing.can_moderate(official, category):
        raise MessageActionError("Вы не модерируете сообщения этой категории.")
    return official


def check_routable(category: "Category", organization: "Organization") -> None:
    """The organization takes part in the category and has someone who may answer there (Appendix 2)."""
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
