"""The back-office home counts and the supervisor's overdue board."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import registered, submit
from tests.moderation.conftest import page_queries
from tests.sharedcache import shared_reads


def test_moderator_home_counts(client, moderator, executor, category, citizen, world):
    now = timezone.now()
    submit(citizen, category, now=now - timedelta(days=15))  # overdue
    submit(citizen, category)
    submit(citizen, world["lighting"])  # not theirs
    client.force_login(moderator)
    response = client.get(reverse("office:home"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["moderation"] == {"total": 2, "overdue": 1, "due_today": 0}
    # issue 13.9: the organisation has an executor of the category, so the moderator has no answer tile
    assert "answers" not in summary
    assert 'data-count="moderation-overdue">1<' in response.content.decode()


def test_due_today_counts(client, moderator, executor, category, citizen, time_machine):
    message = registered(citizen, category, moderator)
    # the morning of the last day of the answer term
    time_machine.move_to(timezone.localtime(message.answer_due).replace(hour=9))
    client.force_login(executor)
    summary = client.get(reverse("office:home")).context["summary"]
    assert summary["answers"] == {"total": 1, "overdue": 0, "due_today": 1}
    assert "moderation" not in summary


def test_administrator_has_no_queues(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("office:home"))
    assert response.status_code == 200
    assert response.context["summary"] == {}
    assert "Очередей нет" in response.content.decode()


def _overdue_world(citizen, category, moderator, rows):
    now = timezone.now()
    long_ago = now - timedelta(days=40)
    from messages import services

    for i in range(rows):
        submit(citizen, category, now=long_ago, text=f"Старая {i}")
        message = submit(citizen, category, now=long_ago, text=f"Зарегистрированная {i}")
        services.message_register(message=message, actor=moderator, now=long_ago + timedelta(hours=1))
    submit(citizen, category, text="Свежая")  # not overdue


def test_overdue_board_groups_by_organisation_and_stage(
    client, supervisor, moderator, executor, category, citizen
):
    _overdue_world(citizen, category, moderator, 2)
    client.force_login(supervisor)
    response = client.get(reverse("office:overdue"))
    groups = response.context["groups"]
    assert [str(g.organization) for g in groups] == ["Администрация"]
    stages = dict(groups[0].stages)
    assert len(stages["Регистрация (§5.4)"]) == 2
    assert len(stages["Ответ (§6.2)"]) == 2
    assert "Свежая" not in response.content.decode()
    assert client.get(reverse("office:home")).context["summary"]["overdue_total"] == 4


@pytest.mark.parametrize("rows", [2, 20])
def test_overdue_board_query_count(client, supervisor, moderator, executor, category, citizen, rows):
    _overdue_world(citizen, category, moderator, rows)
    client.force_login(supervisor)
    # session, user, official, the office version (one read), the rows, one read of the calendar
    # overrides for the working days late, whatever the number of rows
    response, queries, sql = page_queries(client, reverse("office:overdue"), cold=True)
    assert queries == 4 + shared_reads(), sql
    assert response.context["groups"][0].total == 2 * rows


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "kept"])
@pytest.mark.parametrize("rows", [2, 20])
def test_home_query_count(client, supervisor, moderator, executor, category, citizen, rows, cold):
    _overdue_world(citizen, category, moderator, rows)
    client.force_login(supervisor)
    # session, user, official with its organisation, the versions (one read); cold: the moderation queue's
    # counts, the reassign requests, the rating remarks waiting for review (§7.2–7.3), the overdue total
    response, queries, sql = page_queries(client, reverse("office:home"), cold=cold)
    assert queries == (6 if cold else 2) + shared_reads(), sql
    assert response.context["summary"]["overdue_total"] == 2 * rows


def test_overdue_board_counts_lateness_in_working_days(
    client, supervisor, moderator, executor, category, citizen
):
    """Seen: 7 («дн.») for a message 5 working days late. Dates of March 2026 (07–09.03 are days off)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from messages import services

    msk = ZoneInfo("Europe/Moscow")
    # Tue 10.03 → registration due Fri 13.03 (11, 12, 13); on Fri 20.03 late by 16–20.03 = 5 working days
    waiting = submit(citizen, category, now=datetime(2026, 3, 10, 10, tzinfo=msk), text="Ждёт модерации")
    # registered Fri 20.02 → answer due Tue 10.03 (24–27.02, 02–06.03, 10.03; 23.02 and 09.03 are days off);
    # on Fri 20.03 late by 11, 12, 13, 16–20.03 = 8 working days (10 calendar days)
    routed = submit(citizen, category, now=datetime(2026, 2, 19, 10, tzinfo=msk), text="Ждёт ответа")
    services.message_register(message=routed, actor=moderator, now=datetime(2026, 2, 20, 10, tzinfo=msk))
    client.force_login(supervisor)
    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=msk), tick=False):
        response = client.get(reverse("office:overdue"))
    late = {m.number: m.days_late for _, items in response.context["groups"][0].stages for m in items}
    assert late == {waiting.number: 5, routed.number: 8}
    html = response.content.decode()
    assert "5 раб. дн." in html and "8 раб. дн." in html
