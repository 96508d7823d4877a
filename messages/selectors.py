"""Every read whose result depends on who is asking. The scoping rules live here and nowhere else."""

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from directory import routing
from directory.models import Category, Official
from zarechny.staff_mfa import needs_enrolment

from . import places
from .models import AWAITING_ANSWER_STATES, PUBLIC_STATES, Message, MessageEvent, Rating, State

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
