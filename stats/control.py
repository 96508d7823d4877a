"""§9 control: who handled what on time in a period, per organisation and per official, and what is overdue
now — from the event records, inside the viewer's scope (messages.selectors.staff_messages).

The deadlines are not computed here: stats.facts.message_facts derives them from the events for the
statistics (§5.4 decision in 3 working days, §6.2 first answer in 10, §7.3 the answer after a rework in 10
from the negative rating), and this module attributes each of its facts to the event that produced it and
so to the official who acted (the event's actor). Reworks and ratings count for the author of the rated
answer. "Overdue now" is attributed to whoever owes the next step under directory.routing: the category's
moderators (the monitors where Appendix 2 names none) for a decision, the answerers of the executing
organisation for an answer.

A constant number of queries, whatever the number of messages: the candidate messages and all their events
in two, the overdue messages in one, the officials and organisations in four, the calendar in one or two.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from directory import routing
from directory.models import Official, Organization
from directory.workdays import MOSCOW, local_date
from messages.models import Message, MessageEvent, State
from messages.selectors import staff_messages

from . import facts as f
from .periods import Period
from .selectors import overdue_q

Kind = MessageEvent.Kind

# The facts the control view counts, and the event kinds that may produce each (a check that the
# attribution below follows stats.facts: a fact produced by any other event stops the page loudly).
CONTROL_FACTS = {
    f.DECIDED: (Kind.REGISTERED, Kind.REJECTED),
    f.FIRST_ANSWER: (Kind.ANSWERED,),
    f.REWORK_ANSWER: (Kind.ANSWERED,),
    f.REWORK: (Kind.RATED_NEGATIVE,),
    f.RATED: (Kind.RATED_POSITIVE, Kind.RATED_NEGATIVE),
}
# The events that make a message a candidate for the period's figures.
PERIOD_KINDS = (Kind.REGISTERED, Kind.REJECTED, Kind.ANSWERED, Kind.RATED_POSITIVE, Kind.RATED_NEGATIVE)

# Stages of "overdue now": the state a message waits in → its title.
REGISTRATION, ANSWER, REWORK = "registration", "answer", "rework"
STAGES = {
    REGISTRATION: "регистрация (§5.4)",
    ANSWER: "ответ (§6.2)",
    REWORK: "ответ после доработки (§7.3)",
}
STAGE_OF_STATE = {State.SUBMITTED: REGISTRATION, State.REGISTERED: ANSWER, State.REWORK: REWORK}


@dataclass
class Tally:
    decided_on_time: int = 0
    decided_late: int = 0
    answered_on_time: int = 0  # first answers (§6.2) and answers after a rework (§7.3)
    answered_late: int = 0
    reworks: int = 0
    rated_positive: int = 0
    rated_negative: int = 0
    overdue: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0))  # stage -> messages
    overdue_days: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0))  # stage -> longest delay

    def add_overdue(self, stage: str, days_late: int) -> None:
        self.overdue[stage] += 1
        self.overdue_days[stage] = max(self.overdue_days[stage], days_late)

    @property
    def decided(self) -> int:
        return self.decided_on_time + self.decided_late

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue.values())

    def is_empty(self) -> bool:
        return (
            not (self.decided or self.answered or self.reworks or self.rated_positive or self.rated_negative)
            and not self.overdue_total
        )


@dataclass
class ControlRow:
    key: str  # "org:<id>", "official:<id>", "org:none", "official:none"
    label: str
    detail: str = ""  # the official's organisation and position
    tally: Tally = field(default_factory=Tally)


@dataclass
class OverdueMessage:
    id: int
    number: str
    category: str
    stage: str
    due: datetime
    days_late: int
    organization_id: int | None  # the executing organisation (None before registration)
    organizations: list  # labels of the organisations that owe the step
    officials: list  # names of the officials who owe it (empty: nobody can — a routing gap)

    @property
    def stage_title(self) -> str:
        return STAGES[self.stage]


@dataclass
class Control:
    period: Period
    now: datetime
    total: Tally
    organizations: list  # ControlRow, by name
    officials: list  # ControlRow, by organisation then name
    overdue: list  # OverdueMessage, longest delay first


# The row of what no official can be named for: an actor whose official role was removed since, or an
# overdue step nobody is assigned to (a gap the «Кто что обрабатывает» page shows too).
NOBODY = "Без должностного лица (роль снята или никто не назначен)"


def control(viewer: Official | None, period: Period, *, now: datetime | None = None) -> Control:
    """The control figures of `period` for what `viewer` may see (staff_messages(viewer))."""
    now = now or timezone.now()
    scope = staff_messages(viewer)
    workdays = f.WorkdayIndex(period.start, max(period.end, local_date(now)))
    by_org: dict[int | None, Tally] = defaultdict(Tally)
    by_official: dict[int | None, Tally] = defaultdict(Tally)
    total = Tally()

    for fact, official_id, organization_id in _attributed_facts(scope, period, workdays):
        for tally in (total, by_org[organization_id], by_official[official_id]):
            _count(tally, fact)

    active = list(
        routing.active_officials().select_related("user", "organization").prefetch_related("categories")
    )
    overdue = _overdue(scope, now, workdays, active)
    for item, owners in overdue:
        total.add_overdue(item.stage, item.days_late)
        owing: set[int | None] = {o.organization_id for o in owners} or {item.organization_id}
        for organization_id in owing:
            by_org[organization_id].add_overdue(item.stage, item.days_late)
        owner_ids: list[int | None] = [o.pk for o in owners] or [None]
        for official_id in owner_ids:
            by_official[official_id].add_overdue(item.stage, item.days_late)

    officials = {o.pk: o for o in active}
    missing = [pk for pk in by_official if pk is not None and pk not in officials]
    officials.update(Official.objects.select_related("user", "organization").in_bulk(missing))
    organizations = Organization.objects.in_bulk([pk for pk in by_org if pk is not None])
    org_rows = sorted(
        (
            ControlRow(f"org:{pk}", str(organizations[pk]), tally=t)
            for pk, t in by_org.items()
            if pk is not None
        ),
        key=lambda r: r.label.lower(),
    )
    if None in by_org:
        org_rows.append(ControlRow("org:none", "Организация не указана", tally=by_org[None]))
    official_rows = []
    for pk, tally in by_official.items():
        if pk is None:
            continue
        o = officials[pk]
        official_rows.append(
            ControlRow(
                f"official:{pk}",
                o.user.get_full_name(),
                f"{o.organization}, {o.position} ({o.get_role_display()})",
                tally,
            )
        )
    official_rows.sort(key=lambda r: (r.detail.lower(), r.label.lower()))
    if None in by_official:
        official_rows.append(ControlRow("official:none", NOBODY, tally=by_official[None]))
    return Control(
        period=period,
        now=now,
        total=total,
        organizations=org_rows,
        officials=official_rows,
        overdue=[item for item, _ in overdue],
    )


def _count(tally: Tally, fact: f.Fact) -> None:
    if fact.metric == f.DECIDED:
        if fact.key == f.ON_TIME:
            tally.decided_on_time += 1
        else:
            tally.decided_late += 1
    elif fact.metric in (f.FIRST_ANSWER, f.REWORK_ANSWER):
        if fact.key == f.ON_TIME:
            tally.answered_on_time += 1
        else:
            tally.answered_late += 1
    elif fact.metric == f.REWORK:
        tally.reworks += 1
    elif fact.metric == f.RATED:
        if fact.key == "positive":
            tally.rated_positive += 1
        else:
            tally.rated_negative += 1


class _ReadingEvents:
    """The `events` of a MessageRow that remember which event stats.facts is reading: message_facts yields
    the facts of an event while it holds that event, so the current one is the fact's source."""

    def __init__(self, events: list[tuple[Any, ...]]):
        self.events = events
        self.current = -1

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for index, event in enumerate(self.events):
            self.current = index
            yield event


def _attributed_facts(
    scope: QuerySet[Message], period: Period, workdays: f.WorkdayIndex
) -> Iterator[tuple[f.Fact, int | None, int | None]]:
    """(fact, official id, organisation id) of every counted fact of the period in scope: two queries."""
    first, after = _moscow_bounds(period)
    candidates = scope.filter(
        pk__in=MessageEvent.objects.filter(
            kind__in=PERIOD_KINDS, created_at__gte=first, created_at__lt=after
        ).values("message_id")
    )
    rows = {
        pk: f.MessageRow(id=pk, category_id=category_id, organization_id=organization_id)
        for pk, category_id, organization_id in candidates.order_by().values_list(
            "pk", "category_id", "executing_organization_id"
        )
    }
    # (official id, its organisation id) of each event's actor, beside the tuples stats.facts reads
    who: dict[int, list[tuple[int | None, int | None]]] = defaultdict(list)
    events = (
        MessageEvent.objects.filter(message__in=candidates, kind__in=f.FACT_EVENT_KINDS)
        .order_by("message_id", "created_at", "id")
        .values_list(
            "message_id",
            "kind",
            "created_at",
            "data",
            "actor__official__id",
            "actor__official__organization_id",
        )
    )
    for message_id, kind, created_at, data, official_id, organization_id in events.iterator(
        chunk_size=10_000
    ):
        rows[message_id].events.append((kind, created_at, data, organization_id))
        who[message_id].append((official_id, organization_id))
    for row in rows.values():
        reading = _ReadingEvents(row.events)
        row.events = reading  # type: ignore[assignment]
        answered_by: tuple[int | None, int | None] = (None, row.organization_id)
        for fact in f.message_facts(row, workdays):
            event = reading.events[reading.current]
            if fact.metric not in CONTROL_FACTS:
                if event[0] == Kind.ANSWERED:
                    answered_by = _or_executing(who[row.id][reading.current], row.organization_id)
                continue
            if event[0] not in CONTROL_FACTS[fact.metric]:
                raise RuntimeError(
                    f"stats.facts produced {fact.metric} from a {event[0]} event: stats/control.py "
                    "attributes facts to the event being read and must follow how facts reads them"
                )
            if event[0] == Kind.ANSWERED:
                answered_by = _or_executing(who[row.id][reading.current], row.organization_id)
                source = answered_by
            elif event[0] in (Kind.RATED_POSITIVE, Kind.RATED_NEGATIVE):
                source = answered_by  # a rating judges the answer, so it counts for its author
            else:
                source = who[row.id][reading.current]
            if period.start <= fact.day <= period.end:
                yield fact, source[0], source[1]


def _or_executing(
    actor: tuple[int | None, int | None], executing: int | None
) -> tuple[int | None, int | None]:
    return actor if actor[0] is not None else (None, executing)


def _moscow_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first moment and the moment after it, Moscow time (the facts' days are Moscow dates)."""
    return (
        datetime.combine(period.start, time.min, tzinfo=MOSCOW),
        datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=MOSCOW),
    )


def _overdue(
    scope: QuerySet[Message], now: datetime, workdays: f.WorkdayIndex, active: list[Official]
) -> list[tuple[OverdueMessage, list[Official]]]:
    """Messages past a deadline and still waiting (one query), with who owes the next step."""
    today = local_date(now)
    serving: dict[int, list[Official]] = defaultdict(list)
    for official in active:
        for served in official.categories.all():
            serving[served.pk].append(official)
    supervisors = [o for o in active if o.role == Official.Role.SUPERVISOR]
    rows = (
        scope.filter(overdue_q(now))
        .order_by()
        .values_list(
            "pk",
            "number",
            "category_id",
            "category__name",
            "executing_organization_id",
            "executing_organization__short_name",
            "state",
            "registration_due",
            "answer_due",
        )
    )
    found = []
    for pk, number, category_id, category, org_id, org_name, state, registration_due, answer_due in rows:
        stage = STAGE_OF_STATE[State(state)]
        due = registration_due if stage == REGISTRATION else answer_due
        assert due is not None  # overdue_q: the deadline of the state passed
        if stage == REGISTRATION:
            owners = routing.moderators_among(serving[category_id], supervisors)
        else:
            owners = routing.answerers_among(o for o in serving[category_id] if o.organization_id == org_id)
        organizations = sorted({str(o.organization) for o in owners} or ({org_name} if org_name else set()))
        item = OverdueMessage(
            id=pk,
            organization_id=org_id,
            number=number,
            category=category,
            stage=stage,
            due=due,
            days_late=workdays.between(local_date(due), today),
            organizations=organizations,
            officials=sorted(o.user.get_full_name() for o in owners),
        )
        found.append((item, owners))
    found.sort(key=lambda pair: (-pair[0].days_late, pair[0].due, pair[0].number))
    return found
