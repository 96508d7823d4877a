"""Back-office reads. Every query starts from a scoped selector of messages.selectors, so the rule of who
sees what exists once; this module only shapes, counts and groups what those selectors return.
"""

import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone

from directory import routing
from directory.models import AnswerTemplate, Category, Official, RejectionReason
from directory.workdays import working_days_late
from messages import selectors as scoped
from messages.models import AWAITING_ANSWER_STATES, Answer, Message, MessageEvent, Rating, State

# Likely duplicates (§4.4): a bounded look-back so the review page stays cheap on a busy category.
DUPLICATE_LOOKBACK_DAYS = 90
DUPLICATE_CANDIDATES = 300
DUPLICATE_LIMIT = 5
DUPLICATE_TEXT_SIMILARITY = 0.3
EARLIER_MESSAGES_LIMIT = 10
QUEUE_PAGE_SIZE = 50


def end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.max), local.tzinfo)


def _deadline_counts(queryset: QuerySet[Message], due_field: str, now: datetime) -> dict[str, int]:
    """Total, due today (not yet overdue) and overdue, in one query."""
    return queryset.order_by().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(**{f"{due_field}__lt": now})),
        due_today=Count("pk", filter=Q(**{f"{due_field}__gte": now, f"{due_field}__lte": end_of_today(now)})),
    )


def can_moderate_anything(official: Official) -> bool:
    return official.role in (Official.Role.MODERATOR, Official.Role.SUPERVISOR)


def can_answer_anything(official: Official) -> bool:
    """Executors, and moderators of a category their organisation has no executor for (routing)."""
    if official.role == Official.Role.MODERATOR:
        return routing.moderator_answer_categories(official).exists()
    return official.role == Official.Role.EXECUTOR


def home_summary(official: Official, now: datetime) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    if can_moderate_anything(official):
        summary["moderation"] = _deadline_counts(scoped.moderator_queue(official), "registration_due", now)
        summary["reassign_requests"] = pending_reassign_requests(official).count()
        summary["remarks"] = scoped.remarks_awaiting_review(official).count()
    if can_answer_anything(official):
        summary["answers"] = _deadline_counts(scoped.executor_queue(official), "answer_due", now)
    if official.role == Official.Role.SUPERVISOR:
        summary["overdue_total"] = overdue_messages(official, now).count()
    return summary


def moderatable_categories(official: Official) -> QuerySet[Category]:
    """The categories a moderator can pick in filters and when correcting a category."""
    categories = Category.objects.filter(is_active=True).select_related("topic")
    if official.role == Official.Role.SUPERVISOR:
        return categories
    if official.role == Official.Role.MODERATOR:
        return categories.filter(pk__in=official.categories.values("pk"))
    return categories.none()


def moderation_queue(
    official: Official | None,
    *,
    category: Category | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
) -> QuerySet[Message]:
    queue = scoped.moderator_queue(official)
    if category is not None:
        queue = queue.filter(category=category)
    if submitted_from is not None:
        queue = queue.filter(submitted_at__date__gte=submitted_from)
    if submitted_to is not None:
        queue = queue.filter(submitted_at__date__lte=submitted_to)
    # Message.photo_count is kept by the services with the photo rows: no count per row here. The page
    # reads its rows with values_list (moderation.rows); the author is not shown.
    return queue.select_related("category")


def answer_queue(official: Official | None) -> QuerySet[Message]:
    return scoped.executor_queue(official).select_related("category")


def overdue_messages(official: Official | None, now: datetime) -> QuerySet[Message]:
    """Messages past a deadline and still in that state: registration (§5.4) or answer (§6.2, §7.3)."""
    return scoped.staff_messages(official).filter(
        Q(state=State.SUBMITTED, registration_due__lt=now)
        | Q(state__in=AWAITING_ANSWER_STATES, answer_due__lt=now)
    )


STAGES = OrderedDict(
    [
        (State.SUBMITTED, "Регистрация (§5.4)"),
        (State.REGISTERED, "Ответ (§6.2)"),
        (State.REWORK, "Повторный ответ после доработки (§7.3)"),
    ]
)


@dataclass
class OverdueGroup:
    organization: object
    stages: list  # [(stage title, [messages])]
    total: int


def overdue_board(official: Official | None, now: datetime) -> Any:
    """Overdue messages grouped by organisation, then stage. Submitted messages have no executor yet:
    they are listed under the category's responsible organisation, whose moderators are late.
    """
    rows = overdue_messages(official, now).select_related(
        "category__responsible_organization", "executing_organization"
    )
    grouped: dict[Any, Any] = {}
    messages: list[Any] = list(rows)  # each gets `due` (and `days_late`) set below
    for message in messages:
        if message.state == State.SUBMITTED:
            organization = message.category.responsible_organization
            message.due = message.registration_due
        else:
            organization = message.executing_organization
            message.due = message.answer_due
        stages = grouped.setdefault(organization, {state: [] for state in STAGES})
        stages[message.state].append(message)
    _count_working_days_late(messages, now)
    groups = []
    for organization, stages in grouped.items():
        stage_rows = [(STAGES[state], sorted(stages[state], key=lambda m: m.due)) for state in STAGES]
        stage_rows = [(title, items) for title, items in stage_rows if items]
        groups.append(OverdueGroup(organization, stage_rows, sum(len(items) for _, items in stage_rows)))
    groups.sort(key=lambda g: (-g.total, str(g.organization)))
    return groups


def _count_working_days_late(messages: Sequence[Any], now: datetime) -> None:
    """Set `days_late`: the working days after the (Moscow) due date up to today — the deadlines are in
    working days (§5.4, §6.2, §7.3), so lateness is too. One calendar read for the whole board."""
    for message, days in zip(messages, working_days_late([m.due for m in messages], now), strict=True):
        message.days_late = days


def remarks_queue(official: Official | None) -> QuerySet[Rating]:
    """§7.2–7.3: the remarks of ratings that wait for this moderator's review, oldest first."""
    return scoped.remarks_awaiting_review(official).select_related(
        "message__category", "message__executing_organization", "answer"
    )


def pending_reassign_requests(official: Official | None) -> QuerySet[Message]:
    """Messages an answerer asked to route elsewhere and no moderator has reassigned since.

    Driven by the few request events (the (kind, created_at) index), not by grouping every awaiting
    message with all its events: the office home counts these on every visit (issue 14)."""
    events = MessageEvent.objects.filter(message=OuterRef("pk")).order_by("-created_at", "-id")
    last_request = events.filter(kind=MessageEvent.Kind.REASSIGN_REQUESTED).values("created_at")[:1]
    last_reassign = events.filter(kind=MessageEvent.Kind.REASSIGNED).values("created_at")[:1]
    requested = MessageEvent.objects.filter(kind=MessageEvent.Kind.REASSIGN_REQUESTED).values("message_id")
    return (
        scoped.staff_messages(official)
        .filter(state__in=AWAITING_ANSWER_STATES, pk__in=requested)
        .annotate(last_request=Subquery(last_request), last_reassign=Subquery(last_reassign))
        .filter(Q(last_reassign__isnull=True) | Q(last_reassign__lt=F("last_request")))
        .select_related("category", "executing_organization")
        .order_by("last_request")
    )


# --- one message ---------------------------------------------------------------------------------


def _answers() -> Prefetch:
    return Prefetch(
        "answers",
        queryset=Answer.objects.select_related(
            "author__user", "organization", "rating__remarks_reviewed_by"
        ).prefetch_related("attachments", "documents"),
    )


def _details() -> list[Any]:
    return [
        "photos",
        "rejection_reasons",
        Prefetch("events", queryset=MessageEvent.objects.select_related("actor")),
    ]


def _with_relations(queryset: QuerySet[Message]) -> QuerySet[Message]:
    return queryset.select_related(
        "category__topic", "category__responsible_organization", "author", "executing_organization"
    )


def _with_details(queryset: QuerySet[Message]) -> QuerySet[Message]:
    return _with_relations(queryset).prefetch_related(*_details(), _answers())


def staff_message(official: Official | None, number: str) -> Message:
    """A message the official may open in the back-office; anything outside their scope is a 404.

    A message on moderation has never been registered, and only a registered message is answered (the
    only way back to moderation is from a refusal): its answers are known to be none without asking
    (issue 14: the review page of the moderation queue, the page moderators open most)."""
    try:
        message = _with_relations(scoped.staff_messages(official)).get(number=number)
    except Message.DoesNotExist:
        raise Http404("Сообщение не найдено или не относится к вашим категориям.") from None
    if message.state == State.SUBMITTED:
        prefetch_related_objects([message], *_details())
        message._prefetched_objects_cache["answers"] = Answer.objects.none()  # type: ignore[attr-defined]
    else:
        prefetch_related_objects([message], *_details(), _answers())
    return message


def answerable_message(official: Official | None, number: str) -> Message:
    """A message waiting for this official's answer (executor queue scope), else 404."""
    try:
        return _with_details(scoped.executor_queue(official)).get(number=number)
    except Message.DoesNotExist:
        raise Http404("Сообщение не ожидает вашего ответа.") from None


def answered_meanwhile(official: Official | None, number: str) -> Message | None:
    """A message of this official's organisation that no longer awaits an answer because one was given
    (by a colleague, or by the same form sent twice — a double click, a retried request), else None."""
    if official is None:
        return None
    return (
        scoped.staff_messages(official)
        .filter(number=number, executing_organization=official.organization_id, answers__isnull=False)
        .exclude(state__in=AWAITING_ANSWER_STATES)
        .distinct()
        .first()
    )


_TYPED_NUMBER = re.compile(r"[0-9]{4}-[0-9]{1,12}")


def message_by_number_for(user: Any, number: str) -> Message | None:
    """Resolve a number typed by staff (the original of a duplicate) within what they may open."""
    number = (number or "").strip().lstrip("№").strip()
    if not _TYPED_NUMBER.fullmatch(number):
        return None  # not a number at all (a NUL byte would even be refused by PostgreSQL): nothing found
    return scoped.messages_visible_to(user).filter(number=number).first()


def earlier_messages_of_author(user: Any, official: Official | None, message: Message) -> QuerySet[Message]:
    """The author's other messages the staff member may open, newest first (spam, repeated reports).

    `in_scope` tells whether the back-office page can be opened; otherwise the public page is linked.
    """
    if message.author_id is None:
        return Message.objects.none()
    scope = scoped.staff_scope_q(official)
    # An empty Q() would mean "everything" but cannot be wrapped into SQL.
    in_scope = ExpressionWrapper(scope, output_field=BooleanField()) if scope else Value(True)
    return (
        scoped.messages_visible_to(user)
        .filter(author_id=message.author_id)
        .exclude(pk=message.pk)
        .annotate(in_scope=in_scope)
        .select_related("category")
        .order_by("-submitted_at")[:EARLIER_MESSAGES_LIMIT]
    )


def active_rejection_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(is_active=True)


def message_history(message: Message) -> list[MessageEvent]:
    """The staff history of `message` (already scoped by the caller); a refusal carries `reason_titles`, the
    reasons the moderator chose, by their names (inactive ones too: the history keeps what was sent)."""
    events = list(message.events.all())  # prefetched with their actors by the review page's selector
    codes = {
        code for e in events if e.kind == MessageEvent.Kind.REJECTED for code in e.data.get("reasons", [])
    }
    titles = (
        dict(RejectionReason.objects.filter(code__in=codes).values_list("code", "title")) if codes else {}
    )
    for event in events:
        reasons = event.data.get("reasons", []) if event.kind == MessageEvent.Kind.REJECTED else []
        event.reason_titles = [titles.get(code, code) for code in reasons]  # type: ignore[attr-defined]
    return events


def duplicate_reason() -> RejectionReason | None:
    """§4.4: the reason the one-click «дубликат» confirmation refuses with."""
    return RejectionReason.objects.filter(is_active=True, code=RejectionReason.DUPLICATE).first()


def answer_templates(category: Category) -> QuerySet[AnswerTemplate]:
    return AnswerTemplate.objects.filter(category=category).order_by("kind", "title")


# --- likely duplicates (§4.4) --------------------------------------------------------------------

_WORD = re.compile(r"[0-9a-zа-яё]+")
_ADDRESS_NOISE = re.compile(
    r"\b(ул|улица|пр|пр-т|проспект|пер|переулок|д|дом|кв|г|город|заречный|пл|площадь|б-р|бульвар|корп|к|стр)\b\.?"
)


def normalise_address(address: str | None) -> str:
    text = (address or "").lower().replace("ё", "е")
    text = _ADDRESS_NOISE.sub(" ", text)
    return " ".join(_WORD.findall(text))


def _stems(text: str | None) -> set[str]:
    # A crude stemmer is enough to match "яма"/"ямы", "дороге"/"дорога": the first five letters of
    # words longer than three. The moderator decides; this only surfaces candidates.
    return {word[:5] for word in _WORD.findall((text or "").lower().replace("ё", "е")) if len(word) > 3}


def text_similarity(a: str | None, b: str | None) -> float:
    return _similarity(_stems(a), _stems(b))


def _similarity(stems_a: set[str], stems_b: set[str]) -> float:
    if not stems_a or not stems_b:
        return 0.0
    return len(stems_a & stems_b) / len(stems_a | stems_b)


def distance_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> float:
    """Great-circle distance in metres between two points (degrees, floats or Decimals)."""
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (lat1, lon1, lat2, lon2)))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@dataclass
class DuplicateCandidate:
    message: Message
    reasons: list
    score: float


def likely_duplicates(
    official: Official | None, message: Message, now: datetime | None = None
) -> list["DuplicateCandidate"]:
    """Same category and a close place or the same normalised address or a similar text, among the
    category's recent messages the official can open. Bounded: 90 days, 300 candidates, top 5.

    A close place is the rule the submit form shows citizens (messages.selectors.public_messages_near:
    public messages within about 200 m), so a moderator is pointed at what the author was shown.
    """
    now = now or timezone.now()
    scope = scoped.staff_messages(official)
    # Plain rows, not Message objects: 300 model instances (each sets up its state machine) cost more
    # than the scoring; only the top five become objects (issue 14).
    row_fields = ("pk", "text", "address", "submitted_at")
    candidates = list(
        scope.filter(
            category_id=message.category_id, submitted_at__gte=now - timedelta(days=DUPLICATE_LOOKBACK_DAYS)
        )
        .exclude(pk=message.pk)
        .exclude(state=State.REJECTED)
        .order_by("-submitted_at")
        .values_list(*row_fields)[:DUPLICATE_CANDIDATES]
    )
    distances: dict[int, float] = {}
    if message.latitude is not None and message.longitude is not None:
        near = scoped.public_messages_near(
            category_id=message.category_id,
            latitude=message.latitude,
            longitude=message.longitude,
            now=now,
            exclude_pk=message.pk,
            days=DUPLICATE_LOOKBACK_DAYS,
            limit=DUPLICATE_CANDIDATES,
        )
        seen = {row[0] for row in candidates}
        extra = [other.pk for other in near if other.pk not in seen]
        if extra:  # older than the 300 newest, still within 90 days: only those the official may open
            candidates += list(scope.filter(pk__in=extra).values_list(*row_fields))
        distances = {other.pk: other.distance_m for other in near}  # type: ignore[attr-defined]
    address = normalise_address(message.address)
    stems = _stems(message.text)  # once, not once per candidate
    scored = []
    for pk, text, other_address, submitted_at in candidates:
        reasons, score = [], 0.0
        if pk in distances:
            distance = distances[pk]
            reasons.append(f"в {round(distance)} м")
            score += 1 - distance / (2 * scoped.NEARBY_RADIUS_M)
        if address and normalise_address(other_address) == address:
            reasons.append("тот же адрес")
            score += 0.5
        similarity = _similarity(stems, _stems(text))
        if similarity >= DUPLICATE_TEXT_SIMILARITY:
            reasons.append(f"похожий текст ({round(similarity * 100)} %)")
            score += similarity
        if reasons:
            scored.append((-score, submitted_at, pk, reasons, score))
    scored.sort(key=lambda row: (row[0], row[1]))
    top = scored[:DUPLICATE_LIMIT]
    if not top:
        return []
    fields = ("pk", "number", "text", "address", "latitude", "longitude", "submitted_at", "state")
    by_pk = scope.only(*fields).in_bulk([row[2] for row in top])
    return [DuplicateCandidate(by_pk[pk], reasons, score) for _, _, pk, reasons, score in top]
