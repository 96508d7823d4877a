"""The working-day calendar behind the regulation's deadlines (3 working days to register, 10 to answer).

A day is working when it is not Saturday or Sunday and not a non-working holiday (Трудовой кодекс РФ
ст. 111–112), with the government's yearly decree on moving days off applied: a weekend day moved into a
holiday block becomes a working day and the weekday it was moved to becomes a day off. The `holidays`
package carries those decrees (`holidays.RU`: days off as entries, working weekends in
`weekend_workdays`, both read by `HolidayBase.is_working_day`). A `CalendarOverride` row always wins:
it is how an administrator enters a decree the installed package does not know yet, or a local day off.

Deadlines are counted in Moscow local dates, from the day after the event (Гражданский кодекс РФ
ст. 191), and end when the last working day ends (ст. 194).
"""

import functools
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from directory.models import CalendarOverride

# The regulation counts days in the city's local time, whatever zone the caller's datetime is in.
MOSCOW = ZoneInfo("Europe/Moscow")

ONE_DAY = timedelta(days=1)


@functools.cache
def _production_calendar(year: int) -> holidays.HolidayBase:
    """The federal calendar for `year`, built once per process (it only changes with a package upgrade).

    The neighbouring years are populated too, because a decree of one year may move a day of the next
    (and an observed day can spill over New Year). `expand=False` keeps the instance read-only after
    construction, so threads can share it.
    """
    return holidays.RU(years=range(year - 1, year + 2), expand=False)  # type: ignore[no-untyped-call]


class WorkingCalendar:
    """Working days with the `CalendarOverride` rows of whole years read in one query.

    Build one per call or per statistics run, never per process: administrators add overrides at run
    time, and a calendar only sees the rows that existed when it read its years.
    """

    def __init__(self, first: date, last: date):
        self._overrides: dict[date, bool] = {}
        self._first_year = self._last_year = first.year
        self._load_years(first.year, last.year)

    def _load_years(self, first_year: int, last_year: int) -> None:
        rows = (
            CalendarOverride.objects.filter(date__year__gte=first_year, date__year__lte=last_year)
            .order_by()
            .values_list("date", "is_working")
        )
        self._overrides.update(rows)
        self._first_year = min(self._first_year, first_year)
        self._last_year = max(self._last_year, last_year)

    def is_working_day(self, day: date) -> bool:
        # A date outside the years read so far costs one more query, never a wrong answer.
        if day.year < self._first_year:
            self._load_years(day.year, self._first_year - 1)
        elif day.year > self._last_year:
            self._load_years(self._last_year + 1, day.year)
        if day in self._overrides:
            return self._overrides[day]
        return _production_calendar(day.year).is_working_day(day)

    def working_days_in_range(self, first: date, last: date) -> list[date]:
        """The working days from `first` to `last`, both included."""
        days = (first + timedelta(days=i) for i in range((last - first).days + 1))
        return [day for day in days if self.is_working_day(day)]

    def add_working_days(self, moment: datetime, n: int) -> datetime:
        """See the module-level `add_working_days`."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        day = local_date(moment)
        counted = 0
        while counted < n:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, time.max, tzinfo=MOSCOW)

    def working_days_between(self, start: datetime | date, end: datetime | date) -> int:
        """See the module-level `working_days_between`."""
        first, last = local_date(start) + ONE_DAY, local_date(end)
        if last < first:
            return 0
        return len(self.working_days_in_range(first, last))


def local_date(value: datetime | date) -> date:
    """The Moscow calendar date of an aware datetime; a plain date is returned as is."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the Moscow date of the event is unknown")
    return value.astimezone(MOSCOW).date()


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day (one query for the overrides)."""
    return WorkingCalendar(day, day).is_working_day(day)


def working_days_in_range(first: date, last: date) -> list[date]:
    """The working days from `first` to `last`, both included (one query)."""
    return WorkingCalendar(first, last).working_days_in_range(first, last)


def add_working_days(moment: datetime, n: int) -> datetime:
    """The end (23:59:59.999999, Moscow) of the `n`-th working day after the Moscow date of `moment`.

    The hour of `moment` does not matter: a period in days starts on the day after the event
    (ГК РФ ст. 191) and ends at the end of its last day (ст. 194), so a message received at 00:01 and
    one received at 23:59 of the same day are due at the same moment. `moment` must be aware.
    """
    start = local_date(moment)
    # Wide enough for n working days plus the longest holiday block, so one query is the usual cost.
    return WorkingCalendar(start, start + timedelta(days=2 * n + 21)).add_working_days(moment, n)


def working_days_between(start: datetime | date, end: datetime | date) -> int:
    """How many working days it took from `start` to `end`: the working days d with
    local_date(start) < d <= local_date(end), or 0 when `end` is not after `start`.

    The day of `start` is not counted and the day of `end` is, like a deadline (ГК РФ ст. 191), so
    ``working_days_between(x, add_working_days(x, n)) == n``: a message received on Monday and registered
    on Wednesday took 2 working days, and one registered on its due date took exactly the allowed number.
    """
    first, last = local_date(start), local_date(end)
    return WorkingCalendar(first, max(first, last)).working_days_between(start, end)


def working_days_late(dues: Sequence[datetime | date], now: datetime) -> list[int]:
    """For each due moment, the working days after its Moscow date up to today (Moscow): how late a
    deadline counted in working days is (§5.4, §6.2, §7.3). 0 for a deadline not yet past, and for one that
    ended on the last working day before today. One calendar read for all of them."""
    if not dues:
        return []
    today = local_date(now)
    due_dates = [local_date(due) for due in dues]
    first = min(due_dates) + ONE_DAY
    if first > today:
        return [0] * len(due_dates)
    working_days = WorkingCalendar(first, today).working_days_in_range(first, today)
    return [len(working_days) - bisect_right(working_days, due) for due in due_dates]


def working_days_phrase(n: int) -> str:
    """«1 рабочий день», «3 рабочих дня», «11 рабочих дней», «21 рабочий день»: a number of working days."""
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} рабочий день"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} рабочих дня"
    return f"{n} рабочих дней"
