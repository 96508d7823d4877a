"""Actions of officials: register, reject, reassign, answer, review rating remarks (§5, §6, §7, Appendix 2)."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from directory import routing
from directory.models import Category, Organization, RejectionReason
from directory.workdays import add_working_days

from ..documents import ProcessedDocument
from ..errors import MessageActionError
from ..models import (
    ANSWER_TEXT_MAX_LENGTH,
    PUBLIC_STATES,
    Answer,
    AnswerAttachment,
    AnswerDocument,
    Message,
    MessageEvent,
    Rating,
    State,
)
from ..photos import MAX_FILES, ProcessedImage
from .common import (
    ANSWER_WORKING_DAYS,
    Kind,
    NKind,
    Person,
    WrittenFiles,
    active_official,
    answerer_users,
    check_routable,
    lock_message,
    notify,
    notify_followers,
    record_event,
    remove_files,
    require_moderator,
    store_images,
    transition_guard,
)
from .transactions import entry_point, service_atomic


@entry_point
def message_register(
    *,
    message: Message | int,
    actor: Person,
    executing_organization: Organization | None = None,
    category: Category | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Message:
    """§5.4–5.6: the moderator accepts the message, routes it, publishes it; answer due in 10 working days."""
    message = lock_message(message)
    require_moderator(actor, message.category)
    if category is not None and category.pk != message.category_id:
        if not category.is_active:
            raise MessageActionError("Эта категория больше не принимает сообщения.", field="category")
        require_moderator(actor, category)
        message.category = category
    organization = executing_organization or message.category.responsible_organization
    from_state = message.state
    with transition_guard(message):
        message.register()
    check_routable(message.category, organization)
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
    event = record_event(
        message,
        Kind.REGISTERED,
        actor=actor,
        from_state=from_state,
        comment=comment,
        now=now,
        data={"organization": organization.pk, "category": message.category_id},
    )
    notify(event, NKind.REGISTERED, [message.author])
    notify_followers(event, NKind.FOLLOW_REGISTERED)
    notify(event, NKind.ASSIGNED, answerer_users(message))
    return message


@entry_point
def message_reject(
    *,
    message: Message | int,
    actor: Person,
    reasons: Iterable[RejectionReason],
    comment: str = "",
    duplicate_of: Message | None = None,
    now: datetime | None = None,
) -> Message:
    """§5.5, §5.7, §4.4: the moderator refuses registration with reasons the author reads in the email."""
    message = lock_message(message)
    require_moderator(actor, message.category)
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
        if not Message.objects.filter(pk=duplicate_of.pk, state__in=PUBLIC_STATES).exists():
            # §4.4: the author is pointed at the original to follow and support it; an unpublished one
            # is a dead link for them, and the rejection would bar a resubmission for nothing.
            raise MessageActionError(
                f"Сообщение № {duplicate_of.number} не опубликовано: дубликатом можно признать только "
                "сообщение, которое автор может открыть на портале.",
                field="duplicate_of",
            )
    elif duplicate_of is not None:
        raise MessageActionError(
            "Номер исходного сообщения указывается только для причины «дубликат».", field="duplicate_of"
        )
    from_state = message.state
    with transition_guard(message):
        message.reject()
    message.duplicate_of = duplicate_of if is_duplicate else None
    message.save(update_fields=["state", "duplicate_of", "updated_at"])
    message.rejection_reasons.set(reasons)
    event = record_event(
        message,
        Kind.REJECTED,
        actor=actor,
        from_state=from_state,
        comment=comment,
        now=now,
        data={
            "reasons": [r.code for r in reasons],
            "duplicate_of": duplicate_of.number if is_duplicate and duplicate_of is not None else None,
        },
    )
    notify(event, NKind.REJECTED, [message.author])
    return message


@entry_point
def message_reassign(
    *,
    message: Message | int,
    actor: Person,
    executing_organization: Organization,
    comment: str = "",
    now: datetime | None = None,
) -> Message:
    """The moderator routes a registered message to another organisation; the state and deadline stay."""
    message = lock_message(message)
    require_moderator(actor, message.category)
    if message.state not in (State.REGISTERED, State.REWORK):
        raise MessageActionError(
            f"Передать можно только сообщение, ожидающее ответа; сейчас оно «{message.get_state_display()}».",
            code="wrong_state",
        )
    if executing_organization.pk == message.executing_organization_id:
        raise MessageActionError("Сообщение уже направлено этой организации.", field="executing_organization")
    check_routable(message.category, executing_organization)
    previous = message.executing_organization
    message.executing_organization = executing_organization
    message.save(update_fields=["executing_organization", "updated_at"])
    event = record_event(
        message,
        Kind.REASSIGNED,
        actor=actor,
        from_state=message.state,
        comment=comment,
        now=now,
        data={"from": previous.pk if previous else None, "to": executing_organization.pk},
    )
    notify(event, NKind.ASSIGNED, answerer_users(message))
    return message


@entry_point
def message_request_reassign(
    *, message: Message | int, actor: Person, comment: str, now: datetime | None = None
) -> MessageEvent:
    """An executor says the message is not their organisation's competence; the moderators decide."""
    message = lock_message(message)
    official = active_official(actor)
    # (None for either is refused by can_answer too; spelled out for the type checker.)
    if official is None or not routing.can_answer(official, message.category, message.executing_organization):
        raise MessageActionError("Вы не отвечаете на это сообщение.")
    if message.state not in (State.REGISTERED, State.REWORK):
        raise MessageActionError(
            "Просить о передаче можно только сообщение, ожидающее ответа.", code="wrong_state"
        )
    if not (comment or "").strip():
        raise MessageActionError(
            "Объясните, почему сообщение не относится к вашей организации.", field="comment"
        )
    event = record_event(
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
    notify(event, NKind.REASSIGN_REQUESTED, [m.user for m in moderators])
    return event


def message_answer(
    *,
    message: Message | int,
    actor: Person,
    kind: str,
    text: str,
    planned_date: date | None = None,
    attachments: Sequence[ProcessedImage] = (),
    documents: Sequence[ProcessedDocument] = (),
    now: datetime | None = None,
) -> Answer:
    """§6.1–6.4, §7.3: the executing organisation answers; the author is notified and may rate it.

    §6.3: photos (`attachments`, from messages.photos) and PDF scans (`documents`, from
    messages.documents), at most MAX_FILES of both together."""
    written: WrittenFiles = []
    try:
        with service_atomic():
            message = lock_message(message)
            official = active_official(actor)
            organization = message.executing_organization
            # (None for either is refused by can_answer too; spelled out for the type checker.)
            if (
                official is None
                or organization is None
                or not routing.can_answer(official, message.category, organization)
            ):
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
            if len(text) > ANSWER_TEXT_MAX_LENGTH:
                raise MessageActionError(
                    f"Текст ответа не может быть длиннее {ANSWER_TEXT_MAX_LENGTH:,} символов "
                    f"(сейчас {len(text):,}).".replace(",", "\u00a0"),
                    field="text",
                )
            if kind == Answer.Kind.PLANNED and planned_date is None:
                raise MessageActionError("Укажите планируемый срок решения (§6.2).", field="planned_date")
            if kind != Answer.Kind.PLANNED:
                planned_date = None
            if len(attachments) + len(documents) > MAX_FILES:
                raise MessageActionError(
                    f"Можно приложить не более {MAX_FILES} файлов (§6.3).", field="attachments"
                )
            from_state = message.state
            is_rework = from_state == State.REWORK
            with transition_guard(message):
                message.answer()
            now = now or timezone.now()
            answer = Answer.objects.create(
                message=message,
                kind=kind,
                text=text,
                planned_date=planned_date,
                author=official,
                organization=organization,
                created_at=now,
                is_rework=is_rework,
            )
            store_images(AnswerAttachment, "answer", answer, attachments, written)
            _store_documents(answer, documents, written)
            message.answered_at = now
            message.save(update_fields=["state", "answered_at", "updated_at"])
            event = record_event(
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
            notify(event, NKind.ANSWERED, [message.author])
            notify_followers(event, NKind.FOLLOW_ANSWERED)
    except BaseException:
        remove_files(written)
        raise
    return answer


def _store_documents(answer: Answer, documents: Sequence[ProcessedDocument], written: WrittenFiles) -> None:
    """Write the PDFs under their generated names and one row each; `written` lets a failure remove them."""
    storage = AnswerDocument._meta.get_field("file").storage
    for position, document in enumerate(documents):
        name = storage.save(document.storage_name, ContentFile(document.data))
        written.append((storage, name))
        AnswerDocument.objects.create(
            answer=answer,
            token=uuid.UUID(document.token),
            position=position,
            file=name,
            original_name=document.original_name[:255],
            size=document.size,
            pages=document.pages,
        )


REMARKS_MAX_LENGTH = 4000  # the rating form's bound (portal/forms.py)


class RemarksDecision:
    """What a moderator does with the remarks of a rating (§7.2–7.3)."""

    PUBLISH = "publish"  # as written
    EDIT = "edit"  # an edited version, e.g. without personal data
    HIDE = "hide"  # not on the public page; the organisation and the author still have them

    ALL = (PUBLISH, EDIT, HIDE)


@entry_point
def rating_remarks_review(
    *,
    rating: Rating | int,
    actor: Person,
    decision: str,
    text: str = "",
    now: datetime | None = None,
) -> Rating:
    """§7.2–7.3: a moderator of the message's category decides what of the author's remarks is public.

    The remarks reached the organisation and the author when the rating was given; the public page shows
    them only after this decision: as written, an edited version (personal data removed), or nothing.
    The decision may be changed later (each change is an event). The message row is locked first, as by
    every service, then the rating row."""
    pk = rating.pk if isinstance(rating, Rating) else rating
    message_id = Rating.objects.filter(pk=pk).values_list("message_id", flat=True).first()
    if message_id is None:
        raise MessageActionError("Оценка не найдена.", code="not_found")
    message = lock_message(message_id)
    require_moderator(actor, message.category)
    locked = Rating.objects.select_for_update().get(pk=pk)
    if not locked.remarks:
        raise MessageActionError("У этой оценки нет замечаний.", code="wrong_state")
    if decision not in RemarksDecision.ALL:
        raise MessageActionError("Выберите, что сделать с замечаниями.", field="decision")
    previous = locked.remarks_review
    if decision == RemarksDecision.PUBLISH:
        locked.remarks_review, locked.remarks_public = Rating.Review.PUBLISHED, locked.remarks
    elif decision == RemarksDecision.EDIT:
        text = (text or "").strip()
        if not text:
            raise MessageActionError(
                "Напишите текст замечаний для публикации или выберите «Не публиковать».", field="text"
            )
        if len(text) > REMARKS_MAX_LENGTH:
            raise MessageActionError(
                f"Текст замечаний не может быть длиннее {REMARKS_MAX_LENGTH} символов.", field="text"
            )
        edited = text != locked.remarks
        locked.remarks_review = Rating.Review.EDITED if edited else Rating.Review.PUBLISHED
        locked.remarks_public = text
    else:
        locked.remarks_review, locked.remarks_public = Rating.Review.HIDDEN, ""
    now = now or timezone.now()
    locked.remarks_reviewed_by = actor if isinstance(actor, User) else None
    locked.remarks_reviewed_at = now
    locked.save(
        update_fields=["remarks_review", "remarks_public", "remarks_reviewed_by", "remarks_reviewed_at"]
    )
    # The public page shows the decision at once: saving the message marks its cached copies stale.
    message.save(update_fields=["updated_at"])
    record_event(
        message,
        Kind.REMARKS_REVIEWED,
        actor=actor,
        from_state=message.state,
        now=now,
        data={"rating": locked.pk, "decision": str(locked.remarks_review), "previous": str(previous)},
    )
    return locked
