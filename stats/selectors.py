"""Reads of the statistics pages (§8.1): the report of a period, and the messages behind one figure.

The report reads the counters (stats.models: whole months from the monthly layer, the days of partial
months from the daily counters; a constant number of queries whatever the number of messages) plus the
live "overdue now" counts from the messages themselves. The drill-down reads the stored facts that the
same refresh grouped into those counters, inside the official's scope
(messages.selectors.staff_messages), so it lists exactly the messages a figure counts.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from directory.models import AnswerKind, Category, Official, Organization, RejectionReason, Topic
from messages.models import AWAITING_ANSWER_STATES, Message, State
from messages.selectors import staff_messages

from . import facts as f
from .figures import Figures
from .models import DailyCount, DayTotal, MessageFact, MonthlyCount, RollupState
from .periods import Period


@dataclass
class Group:
    key: str  # "total", "org:<id>", "org:none", "topic:<id>", "category:<id>"
    label: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class Report:
    period: object
    min_sample: int
    refreshed_at: datetime | None
    now: datetime
    total: Group
    organizations: list  # executing organisations
    moderating_organizations: list  # organisations whose moderators decided (facts.MODERATED)
    topics: list
    categories: list
    reasons: list  # (code, title, n)
    series_unit: str  # "week" or "day"
    series: list  # (first day, last day, received, answered)


def min_sample() -> int:
    return getattr(settings, "STATS_MIN_SAMPLE", 10)


def refreshed_at() -> datetime | None:
    """When the counters were last refreshed (None before the first refresh)."""
    return RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def overdue_q(now: datetime, which: str = "") -> Q:
    """Overdue now: the deadline stored on the message has passed and the message is still waiting in that
    state (DESIGN.md "Deadlines"). `which` = "registration" or "answer" for one of the two."""
    registration = Q(state=State.SUBMITTED, registration_due__lt=now)
    answer = Q(state__in=AWAITING_ANSWER_STATES, answer_due__lt=now)
    return {"registration": registration, "answer": answer}.get(which, registration | answer)


def report(period: Period, *, now: datetime | None = None) -> "Report":
    """Every figure of `period` by organisation, topic and category: 7 queries, whatever the data size."""
    now = now or timezone.now()
    categories = {c.pk: c for c in Category.objects.select_related("topic")}
    organizations = {o.pk: o for o in Organization.objects.all()}
    total = Group("total", "Все сообщения")
    by_org: dict[Any, Any] = {}
    by_topic: dict[Any, Any] = {}
    by_category: dict[Any, Any] = {}

    def groups_of(category_id, organization_id):
        category = categories[category_id]
        if organization_id is None:
            org_group = by_org.setdefault(None, Group("org:none", "Ещё не направлено организации"))
        else:
            org_group = by_org.setdefault(
                organization_id, Group(f"org:{organization_id}", str(organizations[organization_id]))
            )
        topic_group = by_topic.setdefault(
            category.topic_id, Group(f"topic:{category.topic_id}", category.topic.name)
        )
        category_group = by_category.setdefault(category_id, Group(f"category:{category_id}", category.name))
        return (total, org_group, topic_group, category_group)

    rows = counter_rows(period.start, period.end)
    for category_id, organization_id, metric, key, n in rows:
        for group in groups_of(category_id, organization_id):
            group.figures.add(metric, key, n)

    overdue = (
        Message.objects.filter(overdue_q(now))
        .values_list("category_id", "executing_organization_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for category_id, organization_id, state, n in overdue:
        for group in groups_of(category_id, organization_id):
            if state == State.SUBMITTED:
                group.figures.overdue_registration += n
            else:
                group.figures.overdue_answer += n

    reason_titles = dict(RejectionReason.objects.values_list("code", "title"))
    reasons = sorted(
        (
            (code, reason_titles.get(code, code), n)
            for (metric, code), n in total.figures.counts.items()
            if metric == f.REJECTION_REASON and n
        ),
        key=lambda r: (-r[2], r[1]),
    )
    unit, series = _series(period)
    state = RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()

    org_groups = sorted((g for pk, g in by_org.items() if pk is not None), key=lambda g: g.label.lower())
    org_groups += [by_org[None]] if None in by_org else []
    category_order = list(categories)  # Category.Meta.ordering: topic order, then category order
    topic_order = list(dict.fromkeys(categories[c].topic_id for c in category_order))
    return Report(
        period=period,
        min_sample=min_sample(),
        refreshed_at=state,
        now=now,
        total=total,
        organizations=[g for g in org_groups if _executes(g.figures)],
        moderating_organizations=[g for g in org_groups if g.figures.n(f.MODERATED)],
        topics=[by_topic[t] for t in topic_order if t in by_topic],
        categories=[by_category[c] for c in category_order if c in by_category],
        reasons=reasons,
        series_unit=unit,
        series=series,
    )


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and the last calendar month lying wholly within [start, end], or None."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    last_month_end = after if after.day == 1 else after.replace(day=1)  # the day after the last whole month
    if first >= last_month_end:
        return None
    return first, (last_month_end - timedelta(days=1)).replace(day=1)


def counter_rows(start: date, end: date) -> QuerySet[Any]:
    """(category_id, organization_id, metric, key, n) summing the counters of the days start..end: the whole
    months from the monthly layer, the rest from the daily counters, in one query (UNION ALL). The same
    (category, organisation, metric, key) may come twice, once from each table: the caller adds them."""
    fields = ("category_id", "organization_id", "metric", "key")
    months = whole_months(start, end)
    days = DailyCount.objects.filter(day__gte=start, day__lte=end)
    if months is None:
        return days.values_list(*fields).annotate(n=Sum("count")).order_by()
    first_month, last_month = months
    after_last = (last_month + timedelta(days=32)).replace(day=1)
    days = days.filter(Q(day__lt=first_month) | Q(day__gte=after_last))
    monthly = MonthlyCount.objects.filter(month__gte=first_month, month__lte=last_month)
    return (
        days.values_list(*fields)
        .annotate(n=Sum("count"))
        .order_by()
        .union(monthly.values_list(*fields).annotate(n=Sum("count")).order_by(), all=True)
    )


def _executes(figures: Figures) -> bool:
    """Whether a group has figures as an executing organisation, not only its moderators' decisions."""
    if figures.overdue_now:
        return True
    return any(n for (metric, _), n in figures.counts.items() if metric not in f.ACTOR_ORGANIZATION_METRICS)


def _series(period: Period) -> tuple[str, list[tuple[Any, ...]]]:
    """Received and answered per week (per day for periods up to a month), from the day totals."""
    unit = "day" if period.days <= 31 else "week"
    buckets: dict[Any, list[Any]] = {}
    day = period.start
    while day <= period.end:
        if unit == "day":
            first = last = day
        else:
            first = max(period.start, day - timedelta(days=day.weekday()))
            last = min(period.end, first + timedelta(days=6 - first.weekday()))
        buckets.setdefault(first, [first, last, 0, 0])
        day = last + timedelta(days=1)
    starts = sorted(buckets)
    rows = DayTotal.objects.filter(
        day__gte=period.start, day__lte=period.end, metric__in=(f.RECEIVED, f.ANSWERED)
    ).values_list("day", "metric", "count")
    for day, metric, n in rows:
        first = day if unit == "day" else max(period.start, day - timedelta(days=day.weekday()))
        buckets[first][2 if metric == f.RECEIVED else 3] += n
    return unit, [tuple(buckets[s]) for s in starts]


# --- drill-down ------------------------------------------------------------------------------------

OVERDUE = "overdue"
# the metrics whose messages a drill-down lists from the stored facts
FACT_METRICS = (
    f.RECEIVED,
    f.REGISTERED,
    f.REJECTED,
    f.REJECTION_REASON,
    f.DECIDED,
    f.DECISION_DAYS,
    f.ANSWERED,
    f.FIRST_ANSWER,
    f.ANSWER_DAYS,
    f.REWORK_ANSWER,
    f.MODERATED,
    f.REWORK,
    f.RATED,
    f.CLOSED_UNRATED,
    f.SUPPORTS,
)
DRILL_METRICS = (*FACT_METRICS, OVERDUE)


def group_q(group_key: str) -> Q:
    """The messages of a report group key ("total", "org:5", "org:none", "topic:2", "category:7")."""
    if group_key == "total":
        return Q()
    kind, _, value = group_key.partition(":")
    if kind == "org" and value == "none":
        return Q(executing_organization__isnull=True)
    if not value.isdigit():
        raise ValueError(group_key)
    if kind == "org":
        return Q(executing_organization_id=int(value))
    if kind == "topic":
        return Q(category__topic_id=int(value))
    if kind == "category":
        return Q(category_id=int(value))
    raise ValueError(group_key)


@dataclass
class Drill:
    ids: list  # message ids, newest first
    events: int  # how many times the figure's event happened (a message may be answered twice)


def _facts_of_group(group_key: str) -> Q:
    """The stored facts (MessageFact) of a report group key: by the category and organisation the facts
    were counted for, as the figures of the report were (DailyCount holds the same two columns)."""
    group_q(group_key)  # ValueError for a malformed key
    if group_key == "total":
        return Q()
    kind, _, value = group_key.partition(":")
    if kind == "org":
        return Q(organization__isnull=True) if value == "none" else Q(organization_id=int(value))
    if kind == "topic":
        return Q(category__topic_id=int(value))
    return Q(category_id=int(value))


def drilldown(
    official: Official | None,
    *,
    period: Period,
    metric: str,
    key: str = "",
    group: str = "total",
    now: datetime | None = None,
) -> "Drill":
    """The messages behind one figure of the report, limited to what `official` may see: the stored facts
    (stats.models.MessageFact) of the figure in the period, then the ones in the official's scope — two
    queries whatever the number of messages behind the figure.

    An organisation group means the executing organisation of the facts, or the deciders' one for
    facts.ACTOR_ORGANIZATION_METRICS, exactly as the report's groups do."""
    facts_filter = _facts_of_group(group)  # ValueError for a malformed key
    scope = staff_messages(official)
    if metric == OVERDUE:
        now = now or timezone.now()
        ids = list(
            scope.filter(group_q(group), overdue_q(now, key)).order_by("-pk").values_list("pk", flat=True)
        )
        return Drill(ids=ids, events=len(ids))
    if metric not in FACT_METRICS:
        raise ValueError(metric)
    facts = MessageFact.objects.filter(
        facts_filter, metric=metric, day__gte=period.start, day__lte=period.end
    )
    if key:
        facts = facts.filter(key=key)
    hits = dict(facts.values_list("message_id").annotate(n=Count("pk")).order_by())
    # The scope as a second query over the hits only: joined into the first, PostgreSQL hashes every
    # message of the scope (a whole category: 100,000+ rows) to keep a few thousand facts. The hits go
    # in as the same facts' subquery, not as a list of ids: a list of thousands of parameters cost more
    # to build, send and parse than the query itself (PostgreSQL: a nested loop over the hashed hits).
    visible = (
        scope.filter(pk__in=facts.values("message_id")).order_by("-pk").values_list("pk", flat=True)
        if hits
        else []
    )
    ids = list(visible)
    return Drill(ids=ids, events=sum(hits[pk] for pk in ids))


@dataclass(frozen=True)
class DrillRow:
    """One row of a drill-down list, as the page shows it (text ready, no model instance)."""

    pk: int
    number: str
    category: str
    organization: str
    state: str
    submitted_at: str
    registered_at: str
    answered_at: str


STATE_LABELS = dict(State.choices)


def _local_text(moment: datetime | None) -> str:
    # Digits only, so no translation machinery: what `|date:"d.m.Y H:i"` printed, in the site's time zone.
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M") if moment else "—"


def drill_page_messages(ids: Sequence[int]) -> list[DrillRow]:
    """The rows of one page of a drill-down list, in the order of `ids` (one query of plain values: a
    page of model instances and their template filters cost ten times the query)."""
    rows = Message.objects.filter(pk__in=ids).values_list(
        "pk",
        "number",
        "category__name",
        "executing_organization__short_name",
        "state",
        "submitted_at",
        "registered_at",
        "answered_at",
    )
    by_pk = {
        pk: DrillRow(
            pk,
            number,
            category,
            organization or "—",
            STATE_LABELS.get(state, state),
            _local_text(submitted),
            _local_text(registered),
            _local_text(answered),
        )
        for pk, number, category, organization, state, submitted, registered, answered in rows
    }
    return [by_pk[pk] for pk in ids if pk in by_pk]


METRIC_LABELS = {
    (f.RECEIVED, ""): "поступившие сообщения",
    (f.REGISTERED, ""): "зарегистрированные сообщения",
    (f.REJECTED, ""): "сообщения, в регистрации которых отказано",
    (f.DECIDED, ""): "рассмотренные модератором (регистрация или отказ)",
    (f.DECIDED, f.ON_TIME): f"рассмотренные в срок (≤ {f.REGISTRATION_WORKING_DAYS} рабочих дней)",
    (f.DECIDED, f.LATE): "рассмотренные с нарушением срока",
    (f.DECISION_DAYS, ""): "рассмотренные модератором (выборка для медианы и 90-го процентиля)",
    (f.ANSWERED, ""): "сообщения с ответами",
    **{(f.ANSWERED, kind.value): f"ответы «{kind.label}»" for kind in AnswerKind},
    (f.FIRST_ANSWER, ""): "первые ответы",
    (f.FIRST_ANSWER, f.ON_TIME): f"первый ответ в срок (≤ {f.ANSWER_WORKING_DAYS} рабочих дней)",
    (f.FIRST_ANSWER, f.LATE): "первый ответ с нарушением срока",
    (f.ANSWER_DAYS, ""): "первые ответы (выборка для медианы и 90-го процентиля)",
    (f.REWORK_ANSWER, ""): "ответы после доработки",
    (
        f.REWORK_ANSWER,
        f.ON_TIME,
    ): f"ответ после доработки в срок (≤ {f.ANSWER_WORKING_DAYS} рабочих дней с возврата, §7.3)",
    (f.REWORK_ANSWER, f.LATE): "ответ после доработки с нарушением срока (§7.3)",
    (f.MODERATED, ""): "рассмотренные модераторами организации",
    (
        f.MODERATED,
        f.ON_TIME,
    ): f"рассмотренные модераторами организации в срок (≤ {f.REGISTRATION_WORKING_DAYS} рабочих дней)",
    (f.MODERATED, f.LATE): "рассмотренные модераторами организации с нарушением срока",
    (f.REWORK, ""): "возвращённые на доработку",
    (f.RATED, ""): "оценённые ответы",
    (f.RATED, "positive"): "ответы, оценённые положительно",
    (f.RATED, "negative"): "ответы, оценённые отрицательно",
    (f.CLOSED_UNRATED, ""): "закрытые без оценки",
    (f.SUPPORTS, ""): "поддержанные сообщения",
    (OVERDUE, ""): "просроченные сейчас",
    (OVERDUE, "registration"): "просроченные сейчас на модерации",
    (OVERDUE, "answer"): "просроченные сейчас в ожидании ответа",
}


def metric_label(metric: str, key: str = "") -> str:
    if metric == f.REJECTION_REASON:
        title = RejectionReason.objects.filter(code=key).values_list("title", flat=True).first()
        return f"отказ по причине «{title or key}»"
    return METRIC_LABELS.get((metric, key)) or METRIC_LABELS.get((metric, ""), metric)


def group_label(group_key: str) -> str:
    """A readable name of a report group key; ValueError for an unknown or malformed key."""
    group_q(group_key)
    if group_key == "total":
        return "все категории и организации"
    kind, _, value = group_key.partition(":")
    if kind == "org" and value == "none":
        return "ещё не направленные организации"
    model = {"org": Organization, "topic": Topic, "category": Category}[kind]
    obj = model._default_manager.filter(pk=int(value)).first()
    if obj is None:
        raise ValueError(group_key)
    prefix = {"org": "организация", "topic": "тема", "category": "категория"}[kind]
    return f"{prefix} «{obj}»"
