"""`manage.py stats_refresh` and the scheduled refresh."""

import io

import pytest
from django.core.management import CommandError, call_command

from stats import services
from stats.models import DailyCount, RollupState
from tests.factories import registered, submit


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


def test_migration_0002_makes_the_next_scheduled_refresh_rebuild_everything(world, citizen, moderator):
    """Counters written before this release (here a late registration counted on time) are replaced."""
    import importlib
    from datetime import date

    from django.apps import apps

    from messages import services as message_services

    from .conftest import msk

    message = submit(citizen, world["potholes"], now=msk(2026, 3, 3))
    message_services.message_register(message=message, actor=moderator, now=msk(2026, 3, 12))
    services.refresh_rollups(now=msk(2026, 3, 13, 12))
    # what the old WorkdayIndex wrote for it (6 working days counted on time)
    DailyCount.objects.filter(metric="decided").update(key="on_time")
    services.refresh_recent(now=msk(2026, 3, 14))  # an incremental run leaves 12.03 alone
    assert DailyCount.objects.get(metric="decided").key == "on_time"

    migration = importlib.import_module("stats.migrations.0002_rebuild_rollups")
    migration.forget_last_refresh(apps, None)
    services.refresh_recent(now=msk(2026, 3, 14, 0, 10))
    assert RollupState.objects.get().rebuilt_from is None  # a full rebuild
    row = DailyCount.objects.get(metric="decided")
    assert (row.day, row.key) == (date(2026, 3, 12), "late")
