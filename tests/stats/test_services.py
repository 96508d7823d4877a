"""stats.services: the counters written by a full rebuild and by the 10-minute refresh (§5.4, §6.2)."""

from datetime import date

from messages import services
from stats import facts
from stats.models import DailyCount
from stats.periods import Period
from stats.selectors import drilldown
from stats.services import refresh_recent, refresh_rollups
from tests.factories import submit

from .conftest import msk


def _counts(metric):
    rows = DailyCount.objects.filter(metric=metric).values_list("day", "key", "count")
    return {(day, key): n for day, key, n in rows}


def test_full_rebuild_counts_a_late_registration_late(world, citizen, moderator, supervisor):
    """Seen: a registration after 6 working days counted «в срок» while its drill-down listed it late."""
    # Tue 03.03.2026 → due Fri 06.03 (04, 05, 06); 07–09.03 are days off (08.03 moved to Monday 09.03).
    message = submit(citizen, world["potholes"], now=msk(2026, 3, 3))
    # registered Thu 12.03: 04, 05, 06, 10, 11, 12 = 6 working days → late
    services.message_register(message=message, actor=moderator, now=msk(2026, 3, 12))
    refresh_rollups(now=msk(2026, 6, 1))  # a full rebuild months later: the index grows backwards
    assert _counts(facts.DECIDED) == {(date(2026, 3, 12), facts.LATE): 1}
    assert _counts(facts.DECISION_DAYS) == {(date(2026, 3, 12), "6"): 1}
    march = Period("month", date(2026, 3, 1), date(2026, 3, 31))
    late = drilldown(supervisor.official, period=march, metric=facts.DECIDED, key=facts.LATE)
    assert late.ids == [message.pk]


def test_scheduled_refresh_counts_a_late_refusal_late(world, citizen, moderator):
    """Seen: the 10-minute refresh recorded a refusal after 9 working days as on time."""
    from directory.models import RejectionReason

    # Mon 13.04.2026 → due Thu 16.04
    message = submit(citizen, world["potholes"], now=msk(2026, 4, 13))
    refresh_recent(now=msk(2026, 4, 24, 14, 50))  # the previous run, ten minutes before the refusal
    # refused Fri 24.04: 14, 15, 16, 17, 20, 21, 22, 23, 24 = 9 working days → late
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=[RejectionReason.objects.get(code="obscene")],
        now=msk(2026, 4, 24, 15),
    )
    refresh_recent(now=msk(2026, 4, 24, 15, 0))
    assert _counts(facts.DECIDED) == {(date(2026, 4, 24), facts.LATE): 1}
    assert _counts(facts.DECISION_DAYS) == {(date(2026, 4, 24), "9"): 1}
