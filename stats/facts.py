"""What one message contributes to the statistics, day by day (§8.1).

Every figure is counted on the Moscow date of the event that makes it (a message received on Monday and
answered on Friday is "received" in Monday's period and "answered" in Friday's). The same function feeds
the daily counters (services.refresh_rollups) and the staff drill-down (selectors.drilldown), so the list
behind a figure always holds exactly the messages the figure counts.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from directory.workdays import WorkingCalendar, local_date
from messages.models import MessageEvent
from messages.services import ANSWER_WORKING_DAYS, REGISTRATION_WORKING_DAYS

Kind = MessageEvent.Kind

# metric names (DailyCount.metric); the key column carries the breakdown named in the comment
RECEIVED = "received"
REGISTERED = "registered"
REJECTED = "rejected"
REJECTION_REASON = "reason"  # key = RejectionReason.code
DECIDED = "decided"  # key = on_time | late: registration or refusal vs the 3-working-day deadline (§5.4)
DECISION_DAYS = "decision_days"  # key = working days from receipt to the decision
ANSWERED = "answered"  # key = Answer.Kind (every answer, reworks included)
FIRST_ANSWER = "first_answer"  # key = on_time | late: first answer vs 10 working days (§6.2)
ANSWER_DAYS = "answer_days"  # key = working days from registration to the first answer
REWORK = "rework"  # a negative rating sent the answer back (§7.3): one per rework cycle
REWORK_ANSWER = "rework_answer"  # key = on_time | late: the answer after a rework vs 10 working days (§7.3)
# key = on_time | late, like DECIDED, but counted for the organisation of the moderator who decided
# (the event actor's Official.organization), not for the executing one: whose moderators were late.
MODERATED = "moderated"
RATED = "rated"  # key = positive | negative (§7.1)
CLOSED_UNRATED = "closed_unrated"
SUPPORTS = "supports"  # §7.5

ON_TIME = "on_time"
LATE = "late"

# Metrics whose organisation is not the message's executing organisation (see Fact.organization_id).
ACTOR_ORGANIZATION_METRICS = frozenset({MODERATED})


class WorkdayIndex:
    """Working-day arithmetic in O(log n) per call over a date range read once from WorkingCalendar.

    Same rules as directory.workdays (one query for the overrides, then memory): `between(a, b)` counts
    the working days d with a < d <= b; `due(a, n)` is the n-th working day after a. The range grows on
    demand, so any date works. Growing rebuilds the list and moves every rank, so a call first makes
    the range cover every date it needs and only then takes its ranks, all from that one list.
    """

    # A rebuild reads this much more than asked on each side it grows: ten working days plus the longest
    # holiday block fit in it, and a scan over many dates rebuilds rarely.
    MARGIN = timedelta(days=60)

    def __init__(self, first: date, last: date):
        self._first = first - self.MARGIN
        self._last = last + self.MARGIN
        self._read()

    def _read(self):
        calendar = WorkingCalendar(self._first, self._last)
        self._days = calendar.working_days_in_range(self._first, self._last)

    def _cover(self, first: date, last: date) -> None:
        """Make the list hold every working day from `first` to `last`, both included."""
        if self._first <= first and last <= self._last:
            return
        # Grow by at least half the current span, so a long scan rebuilds a logarithmic number of times.
        step = max(self.MARGIN, (self._last - self._first) // 2)
        if first < self._first:
            self._first = min(first, self._first - step)
        if last > self._last:
            self._last = max(last, self._last + step)
        self._read()

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        self._cover(start, end)
        days = self._days
        return bisect_right(days, end) - bisect_right(days, start)

    def due(self, start: date, n: int) -> date:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self._cover(start, start + timedelta(days=n))
        while True:
            days = self._days
            # days holds every working day of [_first, _last], so the n-th one after `start` is here
            # unless it lies beyond _last.
            position = bisect_right(days, start) + n - 1
            if position < len(days):
                return days[position]
            self._cover(start, self._last + timedelta(days=n))


@dataclass
class MessageRow:
    id: int
    category_id: int
    organization_id: int | None
    # (kind, created_at, data, organization of the actor's Official or None) in time order
    events: list = field(default_factory=list)
    support_times: list = field(default_factory=list)


class Fact(NamedTuple):
    day: date
    metric: str
    key: str
    organization_id: int | None  # the executing organisation, or the actor's for ACTOR_ORGANIZATION_METRICS


def _on_time(day, due):
    return ON_TIME if day <= due else LATE


def message_facts(row: MessageRow, workdays: WorkdayIndex):
    """Yield a Fact for everything `row` contributes; see the metric names above."""
    if any(event[0] == Kind.WITHDRAWN for event in row.events):
        # 152-ФЗ: the author withdrew an unpublished message; it counts nowhere, as if never received.
        return
    org = row.organization_id
    cycle_start: datetime | None = None
    registered_at: datetime | None = None
    rework_at: datetime | None = None
    first_answer_seen = False
    for kind, created_at, data, actor_organization_id in row.events:
        day = local_date(created_at)
        if kind == Kind.SUBMITTED:
            yield Fact(day, RECEIVED, "", org)
            cycle_start = created_at
        elif kind == Kind.RESUBMITTED:
            # §5.7: a corrected message is considered again with a new 3-day period; not a new receipt.
            cycle_start = created_at
        elif kind in (Kind.REGISTERED, Kind.REJECTED):
            if kind == Kind.REGISTERED:
                yield Fact(day, REGISTERED, "", org)
                registered_at = created_at
            else:
                yield Fact(day, REJECTED, "", org)
                for code in (data or {}).get("reasons") or ():
                    yield Fact(day, REJECTION_REASON, str(code), org)
            if cycle_start is not None:
                start = local_date(cycle_start)
                on_time = _on_time(day, workdays.due(start, REGISTRATION_WORKING_DAYS))
                yield Fact(day, DECIDED, on_time, org)
                yield Fact(day, MODERATED, on_time, actor_organization_id)
                yield Fact(day, DECISION_DAYS, str(workdays.between(start, day)), org)
                cycle_start = None
        elif kind == Kind.ANSWERED:
            yield Fact(day, ANSWERED, str((data or {}).get("kind") or ""), org)
            if rework_at is not None:
                # §7.3: after a negative rating the organisation has 10 working days again, from the rating.
                start = local_date(rework_at)
                yield Fact(day, REWORK_ANSWER, _on_time(day, workdays.due(start, ANSWER_WORKING_DAYS)), org)
                rework_at = None
            elif registered_at is not None and not first_answer_seen:
                first_answer_seen = True
                start = local_date(registered_at)
                yield Fact(day, FIRST_ANSWER, _on_time(day, workdays.due(start, ANSWER_WORKING_DAYS)), org)
                yield Fact(day, ANSWER_DAYS, str(workdays.between(start, day)), org)
        elif kind == Kind.RATED_NEGATIVE:
            yield Fact(day, REWORK, "", org)
            yield Fact(day, RATED, "negative", org)
            rework_at = created_at
        elif kind == Kind.RATED_POSITIVE:
            yield Fact(day, RATED, "positive", org)
        elif kind == Kind.CLOSED_UNRATED:
            yield Fact(day, CLOSED_UNRATED, "", org)
    for created_at in row.support_times:
        yield Fact(local_date(created_at), SUPPORTS, "", org)


FACT_EVENT_KINDS = (
    Kind.SUBMITTED,
    Kind.RESUBMITTED,
    Kind.REGISTERED,
    Kind.REJECTED,
    Kind.ANSWERED,
    Kind.RATED_NEGATIVE,
    Kind.RATED_POSITIVE,
    Kind.CLOSED_UNRATED,
    Kind.WITHDRAWN,
)
