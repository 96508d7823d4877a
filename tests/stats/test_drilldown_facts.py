"""The drill-down reads stored facts (stats.models.MessageFact, issue 14): on random message lives it lists
exactly what the previous code listed by re-deriving the facts of every candidate message."""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from directory.models import RejectionReason
from directory.workdays import MOSCOW
from messages import services
from messages.errors import MessageActionError
from messages.models import MessageEvent, Support
from messages.selectors import staff_messages
from stats import facts as f
from stats.loading import chunks, load_rows
from stats.periods import Period
from stats.selectors import FACT_METRICS, OVERDUE, drilldown, group_q, overdue_q
from stats.services import refresh_rollups
from tests.factories import submit

from .conftest import msk

Kind = MessageEvent.Kind

# The previous drill-down (before the facts were stored), kept here as the reference it must equal.
SOURCES = {
    f.RECEIVED: (Kind.SUBMITTED,),
    f.REGISTERED: (Kind.REGISTERED,),
    f.REJECTED: (Kind.REJECTED,),
    f.REJECTION_REASON: (Kind.REJECTED,),
    f.DECIDED: (Kind.REGISTERED, Kind.REJECTED),
    f.DECISION_DAYS: (Kind.REGISTERED, Kind.REJECTED),
    f.ANSWERED: (Kind.ANSWERED,),
    f.FIRST_ANSWER: (Kind.ANSWERED,),
    f.ANSWER_DAYS: (Kind.ANSWERED,),
    f.REWORK_ANSWER: (Kind.ANSWERED,),
    f.MODERATED: (Kind.REGISTERED, Kind.REJECTED),
    f.REWORK: (Kind.RATED_NEGATIVE,),
    f.RATED: (Kind.RATED_POSITIVE, Kind.RATED_NEGATIVE),
    f.CLOSED_UNRATED: (Kind.CLOSED_UNRATED,),
    f.SUPPORTS: (),
}


def _organization_of_group(group_key):
    kind, _, value = group_key.partition(":")
    if kind != "org":
        return False, None
    return True, None if value == "none" else int(value)


def recomputed_drilldown(official, *, period, metric, key="", group="total", memo):
    """The old selectors.drilldown; `memo` only spares re-reading the same rows and calendar in this test."""
    by_organization, organization_id = _organization_of_group(group)
    scope = staff_messages(official)
    if not (by_organization and metric in f.ACTOR_ORGANIZATION_METRICS):
        scope = scope.filter(group_q(group))
    first = datetime.combine(period.start, time.min, tzinfo=MOSCOW)
    after = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=MOSCOW)
    if metric == f.SUPPORTS:
        source = Support.objects.filter(created_at__gte=first, created_at__lt=after)
    else:
        source = MessageEvent.objects.filter(
            kind__in=SOURCES[metric], created_at__gte=first, created_at__lt=after
        )
    candidates = list(scope.filter(pk__in=source.values("message_id")).values_list("pk", flat=True))
    if period not in memo:
        memo[period] = f.WorkdayIndex(period.start, period.end)
    workdays = memo[period]
    hits = defaultdict(int)
    for ids in chunks(candidates, 5_000):
        rows_key = (tuple(ids), first)
        if rows_key not in memo:
            memo[rows_key] = load_rows(ids, events_since=first)
        for row in memo[rows_key]:
            for fact in f.message_facts(row, workdays):
                if (
                    fact.metric == metric
                    and (not key or fact.key == key)
                    and period.start <= fact.day <= period.end
                    and (not by_organization or fact.organization_id == organization_id)
                ):
                    hits[row.id] += 1
    return sorted(hits, reverse=True), sum(hits.values())


def _random_lives(rng, world, citizen, other_citizen, moderator, lighting_moderator, executor, kbu_executor):
    """~40 messages with random lives from December 2025 to March 2026 (across the New Year holidays)."""
    from tests.factories import RejectionReasonFactory

    RejectionReasonFactory(code="personal", title="Личный вопрос")
    reasons = list(RejectionReason.objects.filter(is_active=True).exclude(code=RejectionReason.DUPLICATE))
    start = msk(2025, 12, 1, 9)

    def step(moment):
        return moment + timedelta(hours=rng.choice((1, 5, 20, 30, 50, 75, 100, 200, 340)))

    def attempt(action, **kwargs):
        try:
            action(**kwargs)
            return True
        except MessageActionError:
            return False

    for _ in range(40):
        category = world["potholes"] if rng.random() < 0.75 else world["lighting"]
        decider = moderator if category == world["potholes"] else lighting_moderator
        author = citizen if rng.random() < 0.7 else other_citizen
        moment = start + timedelta(hours=rng.randrange(0, 24 * 100))
        message = submit(author, category, now=moment, text="Случайная жизнь")
        moment = step(moment)
        if rng.random() < 0.25:
            picked = rng.sample(reasons, rng.choice((1, 2)))
            attempt(services.message_reject, message=message, actor=decider, reasons=picked, now=moment)
            if rng.random() < 0.5:
                moment = step(moment)
                attempt(
                    services.message_resubmit, message=message, actor=author, text="Исправлено.", now=moment
                )
            elif rng.random() < 0.3:
                attempt(services.message_withdraw, message=message, actor=author, now=step(moment))
                continue
            moment = step(moment)
        if rng.random() < 0.1:
            continue  # left waiting for a decision
        organization = world["kbu"] if category == world["potholes"] and rng.random() < 0.3 else None
        registered = attempt(
            services.message_register,
            message=message,
            actor=decider,
            executing_organization=organization,
            now=moment,
        )
        if not registered:
            continue
        for _ in range(rng.choice((0, 0, 1, 2))):
            with time_machine.travel(step(moment), tick=False):
                services.message_support(message=message, guest_token=f"guest-{rng.random()}")
        if category == world["potholes"] and rng.random() < 0.2:
            moment = step(moment)
            other = world["administration"] if organization else world["kbu"]
            attempt(
                services.message_reassign,
                message=message,
                actor=moderator,
                executing_organization=other,
                now=moment,
            )
            organization = other
        answerer = kbu_executor if organization == world["kbu"] else executor
        for _ in range(rng.choice((0, 1, 1, 2))):
            moment = step(moment)
            kind = rng.choice(("solved", "impossible"))
            if not attempt(
                services.message_answer, message=message, actor=answerer, kind=kind, text="Ответ", now=moment
            ):
                break
            moment = step(moment)
            roll = rng.random()
            if roll < 0.4:
                attempt(
                    services.message_rate,
                    message=message,
                    actor=author,
                    positive=False,
                    remarks="Нет.",
                    now=moment,
                )
            elif roll < 0.7:
                attempt(services.message_rate, message=message, actor=author, positive=True, now=moment)
                break
            else:
                attempt(services.message_close_unrated, message=message, now=moment + timedelta(days=31))
                break


KEYS = {
    f.DECIDED: ("", f.ON_TIME, f.LATE),
    f.MODERATED: ("", f.ON_TIME, f.LATE),
    f.FIRST_ANSWER: ("", f.ON_TIME, f.LATE),
    f.REWORK_ANSWER: ("", f.ON_TIME, f.LATE),
    f.ANSWERED: ("", "solved", "impossible"),
    f.RATED: ("", "positive", "negative"),
    f.DECISION_DAYS: ("", "0", "1", "3"),
    f.ANSWER_DAYS: ("", "1", "2"),
}


@pytest.mark.parametrize("seed", [14, 2286])
def test_stored_facts_list_what_recomputing_every_candidate_listed(
    world,
    citizen,
    other_citizen,
    moderator,
    other_category_moderator,
    executor,
    other_org_executor,
    supervisor,
    seed,
):
    rng = random.Random(seed)
    _random_lives(
        rng, world, citizen, other_citizen, moderator, other_category_moderator, executor, other_org_executor
    )
    refresh_rollups(now=msk(2026, 4, 30))
    reason_codes = ("", *RejectionReason.objects.values_list("code", flat=True)[:3])
    periods = [
        Period("month", date(2025, 12, 1), date(2025, 12, 31)),
        Period("month", date(2026, 1, 1), date(2026, 1, 31)),
        Period("quarter", date(2026, 1, 1), date(2026, 3, 31)),
        Period("custom", date(2025, 12, 20), date(2026, 2, 10)),
    ]
    groups = [
        "total",
        f"org:{world['administration'].pk}",
        f"org:{world['kbu'].pk}",
        "org:none",
        f"topic:{world['potholes'].topic_id}",
        f"category:{world['potholes'].pk}",
        f"category:{world['lighting'].pk}",
    ]
    officials = [supervisor, moderator, other_category_moderator, executor, other_org_executor]
    compared = nonempty = 0
    memo = {}
    for period in periods:
        for metric in FACT_METRICS:
            keys = reason_codes if metric == f.REJECTION_REASON else KEYS.get(metric, ("",))
            for key in keys:
                for person in officials:
                    for group in groups if person == supervisor else ["total"]:
                        stored = drilldown(
                            person.official, period=period, metric=metric, key=key, group=group
                        )
                        expected = recomputed_drilldown(
                            person.official, period=period, metric=metric, key=key, group=group, memo=memo
                        )
                        assert (stored.ids, stored.events) == expected, (period, metric, key, person, group)
                        compared += 1
                        nonempty += bool(expected[0])
    assert nonempty > compared // 4  # the random lives fill most figures: the equality says something


def test_overdue_stays_live(world, citizen, supervisor):
    """«Overdue now» is not a stored fact: it follows the messages, not the last refresh."""
    message = submit(citizen, world["potholes"], now=msk(2026, 1, 12))
    now = msk(2026, 2, 1)
    period = Period("month", date(2026, 1, 1), date(2026, 1, 31))
    drill = drilldown(supervisor.official, period=period, metric=OVERDUE, now=now)
    assert drill.ids == [message.pk]
    assert list(staff_messages(supervisor.official).filter(overdue_q(now)).values_list("pk", flat=True)) == [
        message.pk
    ]
