"""What one message contributes to the statistics, day by day (§8.1).

Every figure is counted on the Moscow date of the event that makes it (a message received on Monday and
answered on Friday is "received" in Monday's period and "answered" in Friday's). The same function feeds
the daily counters (services.refresh_rollups) and the staff drill-down (selectors.drilldown), so the list
behind a figure always holds exactly the messages the figure counts.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from directory.workdays import WorkingCalendar, local_date
from messages.models import MessageEvent

REGISTRATION_WORKING_DAYS = 3  # §5.4
ANSWER_WORKING_DAYS = 10  # §6.2

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
RATED = "rated"  # key = positive | negative (§7.1)
CLOSED_UNRATED = "closed_unrated"
SUPPORTS = "supports"  # §7.5

ON_TIME = "on_time"
LATE = "late"


class WorkdayIndex:
    """Working-day arithmetic in O(1) per call over a date range read once from WorkingCalendar.

    Same rules as directory.workdays (one query for the overrides, then memory): `between(a, b)` counts
    the working days d with a < d <= b; `due(a, n)` is the n-th working day after a. The range grows on
    demand, so any date works.
    """

    def __init__(self, first: date, last: date):
        self._build(first, last)

    def _build(self, first, last):
        self._first = first - timedelta(days=1)
        self._last = last + timedelta(days=60)
        calendar = WorkingCalendar(self._first, self._last)
        self._days = calendar.working_days_in_range(self._first, self._last)

    def _cover(self, day):
        if day < self._first or day > self._last - timedelta(days=45):
            self._build(min(day, self._first), max(day, self._last))

    def _rank(self, day):
        """Working days from the start of the range up to and including `day`."""
        self._cover(day)
        return bisect_right(self._days, day)

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        return self._rank(end) - self._rank(start)

    def due(self, start: date, n: int) -> date:
        return self._days[self._rank(start) + n - 1]


@dataclass
class MessageRow:
    id: int
    category_id: int
    organization_id: int | None
    events: list = field(default_factory=list)  # (kind, created_at, data) in time order
    support_times: list = field(default_factory=list)


def message_facts(row: MessageRow, workdays: WorkdayIndex):
    """Yield (day, metric, key) for everything `row` contributes; see the metric names above."""
    if any(kind == Kind.WITHDRAWN for kind, _, _ in row.events):
        # 152-ФЗ: the author withdrew an unpublished message; it counts nowhere, as if never received.
        return
    cycle_start: datetime | None = None
    registered_at: datetime | None = None
    first_answer_seen = False
    for kind, created_at, data in row.events:
        day = local_date(created_at)
        if kind == Kind.SUBMITTED:
            yield day, RECEIVED, ""
            cycle_start = created_at
        elif kind == Kind.RESUBMITTED:
            # §5.7: a corrected message is considered again with a new 3-day period; not a new receipt.
            cycle_start = created_at
        elif kind in (Kind.REGISTERED, Kind.REJECTED):
            if kind == Kind.REGISTERED:
                yield day, REGISTERED, ""
                registered_at = created_at
            else:
                yield day, REJECTED, ""
                for code in (data or {}).get("reasons") or ():
                    yield day, REJECTION_REASON, str(code)
            if cycle_start is not None:
                start = local_date(cycle_start)
                due = workdays.due(start, REGISTRATION_WORKING_DAYS)
                yield day, DECIDED, ON_TIME if day <= due else LATE
                yield day, DECISION_DAYS, str(workdays.between(start, day))
                cycle_start = None
        elif kind == Kind.ANSWERED:
            yield day, ANSWERED, str((data or {}).get("kind") or "")
            if registered_at is not None and not first_answer_seen:
                first_answer_seen = True
                start = local_date(registered_at)
                due = workdays.due(start, ANSWER_WORKING_DAYS)
                yield day, FIRST_ANSWER, ON_TIME if day <= due else LATE
                yield day, ANSWER_DAYS, str(workdays.between(start, day))
        elif kind == Kind.RATED_NEGATIVE:
            yield day, REWORK, ""
            yield day, RATED, "negative"
        elif kind == Kind.RATED_POSITIVE:
            yield day, RATED, "positive"
        elif kind == Kind.CLOSED_UNRATED:
            yield day, CLOSED_UNRATED, ""
    for created_at in row.support_times:
        yield local_date(created_at), SUPPORTS, ""


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
