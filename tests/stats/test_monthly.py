"""The monthly layer (issue 14): a period's whole months read from MonthlyCount and its partial months from
DailyCount sum to exactly what the daily counters alone give, for any period."""

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messages import services
from stats import facts as f
from stats.models import DailyCount, DayTotal, MonthlyCount
from stats.selectors import counter_rows, whole_months
from stats.services import rebuild_months, refresh_rollups
from tests.factories import submit

from .conftest import msk

FIRST = date(2024, 11, 20)
LAST = date(2026, 3, 10)


def _daily_only(start, end):
    rows = (
        DailyCount.objects.filter(day__gte=start, day__lte=end)
        .values_list("category_id", "organization_id", "metric", "key")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return Counter({row[:4]: row[4] for row in rows})


def _combined(start, end):
    total = Counter()
    for *group, n in counter_rows(start, end):
        total[tuple(group)] += n
    return total


@pytest.fixture
def random_days(world):
    """Counters on random days over 16 months, for two categories and three organisations."""
    rng = random.Random(14)
    categories = [world["potholes"].pk, world["lighting"].pk]
    organizations = [world["administration"].pk, world["kbu"].pk, None]
    metrics = [(f.RECEIVED, ""), (f.DECIDED, f.ON_TIME), (f.DECIDED, f.LATE), (f.ANSWERED, "solved")]
    rows, seen = [], set()
    for _ in range(1500):
        day = FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))
        key = (day, rng.choice(categories), rng.choice(organizations), *rng.choice(metrics))
        if key not in seen:
            seen.add(key)
            rows.append(
                DailyCount(
                    day=key[0],
                    category_id=key[1],
                    organization_id=key[2],
                    metric=key[3],
                    key=key[4],
                    count=rng.randint(1, 9),
                )
            )
    DailyCount.objects.bulk_create(rows)
    rebuild_months(None)


days_in_range = st.integers(min_value=-40, max_value=(LAST - FIRST).days + 40).map(
    lambda n: FIRST + timedelta(days=n)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days_in_range, b=days_in_range)
def test_months_and_days_sum_to_the_days_alone(random_days, a, b):
    start, end = min(a, b), max(a, b)
    assert _combined(start, end) == _daily_only(start, end)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), (date(2026, 1, 1), date(2026, 12, 1))),
        (date(2026, 1, 2), date(2026, 12, 31), (date(2026, 2, 1), date(2026, 12, 1))),
        (date(2026, 1, 1), date(2026, 1, 30), None),
        (date(2026, 1, 1), date(2026, 1, 31), (date(2026, 1, 1), date(2026, 1, 1))),
        (date(2026, 1, 15), date(2026, 2, 27), None),
        (date(2025, 12, 31), date(2026, 3, 1), (date(2026, 1, 1), date(2026, 2, 1))),
        (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 1))),
    ],
)
def test_whole_months(start, end, expected):
    assert whole_months(start, end) == expected


def _months_equal_their_days():
    by_month = Counter()
    for day, category, organization, metric, key, n in DailyCount.objects.values_list(
        "day", "category_id", "organization_id", "metric", "key", "count"
    ):
        by_month[(day.replace(day=1), category, organization, metric, key)] += n
    stored = Counter(
        {
            row[:5]: row[5]
            for row in MonthlyCount.objects.values_list(
                "month", "category_id", "organization_id", "metric", "key", "count"
            )
        }
    )
    by_day = Counter()
    for day, metric, n in DailyCount.objects.values_list("day", "metric", "count"):
        by_day[(day, metric)] += n
    totals = Counter(
        {(day, metric): n for day, metric, n in DayTotal.objects.values_list("day", "metric", "count")}
    )
    return stored == by_month and len(stored) == MonthlyCount.objects.count() and totals == by_day


def test_the_refresh_keeps_the_months_and_day_totals_equal_to_their_days(
    known, moderator, executor, citizen, world
):
    refresh_rollups(now=msk(2026, 2, 11, 12))
    assert MonthlyCount.objects.exists() and _months_equal_their_days()
    # a new message and an answer in February, then the scheduled kind of refresh: only February moves
    january = set(MonthlyCount.objects.filter(month=date(2026, 1, 1)).values_list("pk", flat=True))
    message = submit(citizen, world["potholes"], now=msk(2026, 2, 12, 9))
    services.message_register(message=message, actor=moderator, now=msk(2026, 2, 12, 11))
    services.message_answer(message=message, actor=executor, kind="solved", text="Да.", now=msk(2026, 2, 13))
    refresh_rollups(since=msk(2026, 2, 12), now=msk(2026, 2, 13, 12))
    assert _months_equal_their_days()
    assert set(MonthlyCount.objects.filter(month=date(2026, 1, 1)).values_list("pk", flat=True)) == january
    february = MonthlyCount.objects.filter(month=date(2026, 2, 1), metric=f.RECEIVED).aggregate(
        n=Sum("count")
    )
    assert february["n"] == 1
