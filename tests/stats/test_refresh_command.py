"""`manage.py stats_refresh` and the scheduled refresh."""

import io

import pytest
from django.core.management import CommandError, call_command

from stats import services
from stats.models import DailyCount, RollupState
from tests.factories import registered


def test_command_full_then_recent(world, citizen, moderator):
    registered(citizen, world["potholes"], moderator)
    out = io.StringIO()
    call_command("stats_refresh", "--full", stdout=out)
    assert "counter rows written" in out.getvalue()
    full = set(DailyCount.objects.values_list("day", "metric", "key", "count"))
    assert {row[1] for row in full} >= {"received", "registered", "decided", "decision_days"}
    state = RollupState.objects.get()
    assert state.refreshed_at is not None and state.rebuilt_from is None

    registered(citizen, world["potholes"], moderator)
    call_command("stats_refresh", stdout=io.StringIO())  # since the previous run
    assert RollupState.objects.get().rebuilt_from is not None
    received = sum(DailyCount.objects.filter(metric="received").values_list("count", flat=True))
    assert received == 2


def test_command_since_and_bad_arguments(db):
    call_command("stats_refresh", "--since", "2026-01-01", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("stats_refresh", "--since", "01.01.2026", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("stats_refresh", "--full", "--since", "2026-01-01", stdout=io.StringIO())


def test_first_scheduled_refresh_is_a_full_rebuild(world, citizen):
    from tests.factories import submit

    submit(citizen, world["potholes"])
    assert services.refresh_recent() == 1  # one "received" counter
