"""Every read whose result depends on who is asking. The scoping rules live here and nowhere else."""

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.expressions import Expression
from django.utils import timezone

from accounts.models import OutboundEmail
from directory import routing
from directory.models import Category, Official
from zarechny.staff_mfa import needs_enrolment

from . import places
from .models import (
    AWAITING_ANSWER_STATES,
    PUBLIC_STATES,
    Message,
    MessageEvent,
    MessageFollow,
    Notification,
    Rating,
    State,
)

if TYPE_CHECKING:
    from accounts.models import User

    # Who is asking: an account, the anonymous visitor of a request, or nobody (the worker).
    Person = User | AnonymousUser | None


def official_of(user: "Person") -> Official | None:
    """The active Official row of a user, or None (citizens, guests, retired officials)."""
    return routing.active_official(user)


def acting_official(user: "Person") -> Official | None:
    """The Official row whose rights apply to this request: none while the person still has to enrol a
    second factor (STAFF_REQUIRE_MFA, issue 11.5). Every staff read outside /office/ (a private message,
    its photos, the staff statistics) goes through here, so a password alone never shows private data."""
    official = official_of(user)
    if official is None or needs_enrolment(user):
        return None
    return official


def public_messages() -> QuerySet[Message]:
    """§4.8: registered messages and everything after are public; nothing before or rejected."""
    return Message.objects.filter(state__in=PUBLIC_STATES)


SEARCH_CONFIG = "russian"


class _SearchVectorColumn(Expression):
    """The stored, GIN-indexed tsvector of messages/migrations/0009_message_search_vector.py (PostgreSQL
    only, not a model field), on whatever alias the message table has in the query (U0 in a subquery)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{table}.{connection.ops.quote_name('search_vector')}", []


def search_messages(
    queryset: QuerySet[Message], text: str, *, number: str | None = None, depth: int | None = None
) -> QuerySet[Message]:
    """Messages of `queryset` whose text or place matches `text` (or whose number is `number`).

    PostgreSQL: full-text search with Russian stemming («яма» finds «ямы») on the indexed search vector,
    annotated with `search_rank` (0 for a match by number only) for the caller to order by. With
    `depth`, only the `depth` newest matches are kept (and ranked): a common word matches a sixth of
    all messages, and ranking them all is what made a search cost a second. Other databases (the SQLite
    default): a plain substring match, with no `search_rank`.
    """
    condition = Q(number=number) if number else Q(pk__in=[])
    if connections[queryset.db].vendor == "postgresql":
        vector = _SearchVectorColumn()
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        matches: QuerySet[Message] = queryset.alias(search_vector=vector).filter(
            condition | Q(search_vector=query)
        )
        if depth is not None:
            newest = matches.order_by("-submitted_at", "-id").values("pk")[:depth]
            matches = queryset.filter(pk__in=newest)
        return matches.annotate(search_rank=SearchRank(vector, query))
    # SQLite folds the case of ASCII letters only, so the usual spellings of a Cyrillic word (as typed,
    # lower, Capitalised, upper) are tried as well.
    condition |= Q(number__icontains=text)
    for variant in {text, text.lower(), text.capitalize(), text.upper()}:
        condition |= Q(text__icontains=variant) | Q(address__icontains=variant)
    return queryset.filter(condition)


def _category_ids(official: Official) -> QuerySet[Category, Any]:
    return official.categories.values("pk")


def staff_scope_q(official: Official | None) -> Q:
    """The back-office scope of an official: what they may open and act on.

    Never a withdrawn message (152-ФЗ: its author withdrew the consent; nothing is left to work on).
    """
    return _staff_scope_q(official) & ~Q(state=State.WITHDRAWN)


def _staff_scope_q(official: Official | None) -> Q:
    if official is None:
        return Q(pk__in=[])
    if official.oversees_everything:
        # The monitors, and the official in charge of control over the platform (Постановление № 2286, п. 4),
        # who may open every message though he acts only in his own categories.
        # Not an empty Q(): OR-ed with another Q an empty one vanishes, and supervisors would see nothing extra.
        return Q(pk__isnull=False)
    if official.role == Official.Role.MODERATOR:
        # Their categories in every state, plus what is routed to their organisation in those categories
        # (which is the same set, spelled out so the rule reads like DESIGN.md).
        return Q(category__in=_category_ids(official))
    if official.role == Official.Role.EXECUTOR:
        return Q(executing_organization=official.organization_id, category__in=_category_ids(official)) & ~Q(
            state=State.SUBMITTED
        )
    return Q(pk__in=[])


def messages_visible_to(user: "Person") -> QuerySet[Message]:
    """What a person may open: public messages, their own (not withdrawn), and (staff) their scope."""
    scope = Q(state__in=PUBLIC_STATES)
    if user is not None and user.is_authenticated:
        scope |= Q(author=user) & ~Q(state=State.WITHDRAWN)
        official = acting_official(user)
        if official is not None:
            scope |= staff_scope_q(official)
    return Message.objects.filter(scope)


def staff_messages(official: Official | None) -> QuerySet[Message]:
    """Every message in the official's back-office scope (`staff_scope_q`)."""
    return Message.objects.filter(staff_scope_q(official))


def may_control(official: Official | None) -> bool:
    """§2.5, §9: whether the official opens the control view of timeliness (`Official.controls_handling`);
    what it shows them is their `staff_messages`."""
    return official is not None and official.controls_handling


def moderator_queue(official: Official | None) -> QuerySet[Message]:
    """§5.4: submitted messages waiting for a decision, oldest deadline first."""
    if official is None:
        return Message.objects.none()
    queue = Message.objects.filter(state=State.SUBMITTED)
    if official.role == Official.Role.SUPERVISOR:
        return queue.order_by("registration_due", "id")
    if official.role != Official.Role.MODERATOR:
        return Message.objects.none()
    return queue.filter(category__in=_category_ids(official)).order_by("registration_due", "id")


def executor_queue(official: Official | None) -> QuerySet[Message]:
    """§6.2, §7.3: messages the official's organisation owes an answer to, in the official's categories.

    Moderators are included for the categories where their organisation has no executor: Appendix 2
    leaves some categories with moderators only, and they answer what is routed to their own
    organisation (DESIGN.md, "Holes in Appendix 2"; the rule is directory.routing's).
    """
    if official is None or official.role not in (Official.Role.EXECUTOR, Official.Role.MODERATOR):
        return Message.objects.none()
    if official.role == Official.Role.MODERATOR:
        categories = routing.moderator_answer_categories(official).values("pk")
    else:
        categories = _category_ids(official)
    return Message.objects.filter(
        state__in=AWAITING_ANSWER_STATES,
        executing_organization=official.organization_id,
        category__in=categories,
    ).order_by("answer_due", "id")


def messages_of_author(user: "Person") -> QuerySet[Message]:
    """The author's own messages (not withdrawn): the citizen's «Мои сообщения»."""
    if user is None or not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(author=user).exclude(state=State.WITHDRAWN)


def remarks_awaiting_review(official: Official | None) -> QuerySet[Rating]:
    """§7.2–7.3: ratings whose remarks no moderator has reviewed yet, in the official's moderation scope
    (the moderators of the message's category; the supervisors everywhere), oldest first."""
    if official is None or official.role not in (Official.Role.MODERATOR, Official.Role.SUPERVISOR):
        return Rating.objects.none()
    pending = Rating.objects.filter(remarks_review=Rating.Review.PENDING).exclude(
        message__state=State.WITHDRAWN
    )
    if official.role == Official.Role.MODERATOR:
        pending = pending.filter(message__category__in=_category_ids(official))
    return pending.order_by("created_at", "id")


def last_rejection(message: Message) -> MessageEvent | None:
    """The refusal a rejected message is in (§5.7): its reasons' codes, the moderator's comment to the
    author and the original of a duplicate (§4.4). For the author's pages: the caller has scoped `message`
    (messages_of_author / messages_visible_to); None when the message is not rejected."""
    if message.state != State.REJECTED:
        return None
    return (
        MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.REJECTED)
        .order_by("-created_at", "-id")
        .first()
    )


def operations_figures(now: datetime) -> dict[str, Any]:
    """Platform-wide figures for the operators' metrics (zarechny/metrics.py); nobody's scope, no rows.

    The outboxes: `pending`/`sending` rows, `failed` rows, and the age of the oldest unsent one (seconds,
    0 when none). The messages: waiting for registration / for an answer, and how many of each are past
    their deadline now."""
    unsent = [Notification.EmailStatus.PENDING, Notification.EmailStatus.SENDING]
    outboxes: dict[str, dict[str, float]] = {}
    for label, model in (("notifications", Notification), ("account_emails", OutboundEmail)):
        rows = model.objects.filter(email_status__in=unsent).aggregate(
            count=Count("pk"), oldest=Min("created_at")
        )
        oldest = rows["oldest"]
        outboxes[label] = {
            "pending": rows["count"],
            "failed": model.objects.filter(email_status=Notification.EmailStatus.FAILED).count(),
            "oldest_pending_age": max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        }
    to_register = Message.objects.filter(state=State.SUBMITTED)
    to_answer = Message.objects.filter(state__in=AWAITING_ANSWER_STATES)
    return {
        "outboxes": outboxes,
        "waiting": {"registration": to_register.count(), "answer": to_answer.count()},
        "overdue": {
            "registration": to_register.filter(registration_due__lt=now).count(),
            "answer": to_answer.filter(answer_due__lt=now).count(),
        },
    }


def follows_of(user: "Person") -> QuerySet[MessageFollow]:
    """The public messages a person follows (the cabinet's «Вы следите»), the latest follow first."""
    if user is None or not user.is_authenticated:
        return MessageFollow.objects.none()
    return MessageFollow.objects.filter(user=user, message__state__in=PUBLIC_STATES).order_by(
        "-created_at", "-id"
    )


def follows_message(user: "Person", message: Message) -> bool:
    """Whether the person gets the message's public steps by e-mail: its author always (the regulation's
    notices), anyone else while they follow it."""
    if user is None or not user.is_authenticated:
        return False
    if message.author_id == user.pk:
        return True
    return MessageFollow.objects.filter(message=message, user=user).exists()


def follow_of_link(*, user_id: int, message_id: int) -> MessageFollow | None:
    """The subscription an unfollow link names (messages/unfollow.py): the signed token is the scope."""
    return (
        MessageFollow.objects.select_related("message__category")
        .filter(user_id=user_id, message_id=message_id)
        .first()
    )


# --- places (DESIGN.md, «Map and places») ---------------------------------------------------------

# §4.4 / issue 15: «about 200 m, the last 90 days» — the submit form's similar messages and the
# moderators' duplicate hints by place are this one rule.
NEARBY_RADIUS_M = 200
NEARBY_DAYS = 90
NEARBY_LIMIT = 10


def public_messages_near(
    *,
    category_id: int,
    latitude: "float | Decimal",
    longitude: "float | Decimal",
    now: datetime | None = None,
    exclude_pk: int | None = None,
    radius_m: float = NEARBY_RADIUS_M,
    days: int = NEARBY_DAYS,
    limit: int = NEARBY_LIMIT,
) -> list[Message]:
    """Public messages of a category within `radius_m` of a point, submitted in the last `days`, nearest
    first, each with `distance_m`. One bounded query: the box around the point is served by the
    partial (latitude, longitude) index of public messages; the exact circle is cut in SQL."""
    lat, lon = float(latitude), float(longitude)
    box = places.box_around(lat, lon, radius_m)
    since = (now or timezone.now()) - timedelta(days=days)
    queryset = (
        public_messages()
        .filter(
            category_id=category_id,
            submitted_at__gte=since,
            latitude__range=(box.south, box.north),
            longitude__range=(box.west, box.east),
        )
        .annotate(distance_sq=places.squared_distance(lat, lon))
        .filter(distance_sq__lte=radius_m * radius_m)
    )
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    found: list[Message] = list(queryset.order_by("distance_sq", "-submitted_at", "-id")[:limit])
    for message in found:
        message.distance_m = math.sqrt(message.distance_sq)  # type: ignore[attr-defined]
    return found


def public_messages_in_box(box: places.Box) -> QuerySet[Message]:
    """Public messages with a point inside the box (the public map's GeoJSON)."""
    return public_messages().filter(
        latitude__range=(box.south, box.north), longitude__range=(box.west, box.east)
    )
