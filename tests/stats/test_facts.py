"""stats.facts.WorkdayIndex: the fast working-day arithmetic of the statistics agrees with the calendar."""

import random
from datetime import date, datetime, timedelta

import pytest

from directory.models import CalendarOverride
from directory.workdays import MOSCOW, WorkingCalendar
from stats.facts import WorkdayIndex

FIRST, LAST = date(2024, 1, 1), date(2027, 12, 31)
SPAN = (LAST - FIRST).days


def _reference_due(calendar, start, n):
    return calendar.add_working_days(datetime.combine(start, datetime.min.time(), tzinfo=MOSCOW), n).date()


@pytest.fixture
def overrides(db):
    # A local day off on a Monday and a working Saturday, as an administrator would enter them.
    CalendarOverride.objects.create(date=date(2025, 6, 2), is_working=False, reason="местный выходной")
    CalendarOverride.objects.create(date=date(2026, 3, 14), is_working=True, reason="рабочая суббота")


def _random_day(rng):
    if rng.random() < 0.3:  # often near a New Year holiday block, where calendar and working days part most
        year = rng.randint(FIRST.year, LAST.year)
        return date(year, 12, 20) + timedelta(days=rng.randint(0, 25))
    return FIRST + timedelta(days=rng.randint(0, SPAN))


def test_due_and_between_agree_with_the_calendar_on_random_dates(overrides):
    """Narrow indexes that must grow backwards and forwards, asked in random order (issue 10 point 2)."""
    rng = random.Random(2286)
    calendar = WorkingCalendar(FIRST, LAST)
    checked = 0
    for _ in range(120):
        centre = _random_day(rng)
        index = WorkdayIndex(centre, centre + timedelta(days=rng.randint(0, 2)))
        for _ in range(25):
            start = _random_day(rng)
            n = rng.choice((1, 3, 10))
            assert index.due(start, n) == _reference_due(calendar, start, n), (centre, start, n)
            far = rng.random() < 0.1
            end = _random_day(rng) if far else start + timedelta(days=rng.randint(-3, 60))
            expected = calendar.working_days_between(start, end)
            assert index.between(start, end) == expected, (centre, start, end)
            checked += 1
    assert checked == 3000


def test_an_override_entered_by_an_administrator_counts(overrides):
    index = WorkdayIndex(date(2026, 3, 1), date(2026, 3, 1))
    # Fri 13.03.2026 + 1 working day is the working Saturday 14.03, not Monday 16.03
    assert index.due(date(2026, 3, 13), 1) == date(2026, 3, 14)
    # Fri 30.05.2025 → Mon 02.06 is a local day off: the next working day is Tue 03.06
    assert index.due(date(2025, 5, 30), 1) == date(2025, 6, 3)
    assert index.between(date(2025, 5, 30), date(2025, 6, 3)) == 1


def test_due_reads_the_range_it_ranked_in(db):
    """The index starts in June; a March date makes it grow backwards inside due()."""
    index = WorkdayIndex(date(2026, 6, 1), date(2026, 6, 1))
    # Tue 03.03.2026: 04, 05, 06 are the 3 working days (07–09.03 are days off)
    assert index.due(date(2026, 3, 3), 3) == date(2026, 3, 6)
    assert index.between(date(2026, 3, 3), date(2026, 3, 12)) == 6


def test_between_ranks_both_ends_in_one_range(db):
    """`end` inside the initial range, `start` before it: both ranks must come from the same list."""
    index = WorkdayIndex(date(2026, 4, 20), date(2026, 4, 30))
    # 14, 15, 16, 17, 20, 21, 22, 23, 24 April 2026
    assert index.between(date(2026, 4, 13), date(2026, 4, 24)) == 9


def test_due_far_after_the_range(db):
    index = WorkdayIndex(date(2026, 1, 1), date(2026, 1, 31))
    # Mon 18.05.2026 → 19, 20, 21
    assert index.due(date(2026, 5, 18), 3) == date(2026, 5, 21)


def test_due_needs_a_positive_number_of_days(db):
    with pytest.raises(ValueError):
        WorkdayIndex(date(2026, 1, 1), date(2026, 1, 1)).due(date(2026, 1, 1), 0)
