"""§6.2 in public: a message whose answer is late says so to everyone — «срок ответа истёк N рабочих дней
назад» — on its page and in the public list, counted in working days with the real calendar
(directory.workdays), by the same rule as the staff's overdue board.

Dates of February–March 2026: 23.02 and 09.03 are days off. A message registered on Fri 20.02 is due at
the end of Tue 10.03 (24–27.02, 02–06.03, 10.03)."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.workdays import working_days_late, working_days_phrase
from messages import services
from messages.deadlines import mark_answer_overdue
from messages.models import Message
from tests.factories import submit

MSK = ZoneInfo("Europe/Moscow")


def at(day, month=3, hour=12):
    return datetime(2026, month, day, hour, tzinfo=MSK)


def routed_on_20_february(citizen, category, moderator, text="Яма у школы"):
    message = submit(citizen, category, now=at(19, 2), text=text)
    return services.message_register(message=message, actor=moderator, now=at(20, 2))


def page(client, message, when):
    with time_machine.travel(when, tick=False):
        return client.get(reverse("portal:message", kwargs={"number": message.number})).content.decode()


@pytest.mark.parametrize(
    "n,text",
    [
        (1, "1 рабочий день"),
        (2, "2 рабочих дня"),
        (4, "4 рабочих дня"),
        (5, "5 рабочих дней"),
        (11, "11 рабочих дней"),
        (12, "12 рабочих дней"),
        (14, "14 рабочих дней"),
        (21, "21 рабочий день"),
        (22, "22 рабочих дня"),
        (25, "25 рабочих дней"),
        (111, "111 рабочих дней"),
        (101, "101 рабочий день"),
    ],
)
def test_working_days_phrase_has_the_right_russian_plural(n, text):
    """§6.2: день / дня / дней after the number."""
    assert working_days_phrase(n) == text


@pytest.mark.django_db
def test_working_days_late_uses_the_calendar():
    """Due Tue 10.03: on Fri 20.03 late by 11–13 and 16–20.03 = 8 working days (10 calendar days); on
    Tue 10.03 itself and on the weekend after a Friday deadline, 0."""
    due = datetime(2026, 3, 10, 23, 59, 59, tzinfo=MSK)
    friday = datetime(2026, 3, 13, 23, 59, 59, tzinfo=MSK)
    assert working_days_late([due, friday], at(20)) == [8, 5]
    assert working_days_late([due], at(10)) == [0]
    assert working_days_late([friday], at(15)) == [0]
    assert working_days_late([], at(20)) == []


@pytest.mark.django_db
def test_public_page_says_how_many_working_days_ago_the_answer_was_due(
    client, citizen, other_citizen, moderator, category
):
    """§6.2: every visitor reads the same text — a guest, another citizen and the author."""
    message = routed_on_20_february(citizen, category, moderator)
    assert "Срок ответа истёк 8 рабочих дней назад" in page(client, message, at(20))
    client.force_login(other_citizen)
    assert "Срок ответа истёк 1 рабочий день назад" in page(client, message, at(11))
    client.force_login(citizen)
    assert "Срок ответа истёк 3 рабочих дня назад" in page(client, message, at(13))


@pytest.mark.django_db
def test_no_overdue_text_before_the_deadline_or_after_the_answer(
    client, citizen, moderator, executor, category
):
    message = routed_on_20_february(citizen, category, moderator)
    assert "Срок ответа истёк" not in page(client, message, at(10, hour=23))
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.", now=at(16))
    assert "Срок ответа истёк" not in page(client, message, at(20))


@pytest.mark.django_db
def test_overdue_rework_and_the_weekend_right_after_the_deadline(client, citizen, moderator, category):
    """§7.3: a late rework says so too; on the days off right after a deadline the date is named."""
    message = routed_on_20_february(citizen, category, moderator)
    Message.objects.filter(pk=message.pk).update(
        state="rework", answer_due=datetime(2026, 3, 13, 23, 59, 59, 999999, tzinfo=MSK)
    )
    html = page(client, message, at(14))
    assert "Срок ответа истёк 13 марта" in html and "§7.3" in html
    assert "Срок ответа истёк 1 рабочий день назад" in page(client, message, at(16))


def test_mark_answer_overdue_skips_states_that_owe_no_answer():
    due = datetime(2026, 3, 10, 23, 59, 59, tzinfo=MSK)
    answered = SimpleNamespace(state="answered", answer_due=due)
    unrouted = SimpleNamespace(state="submitted", answer_due=None)
    mark_answer_overdue([answered, unrouted], now=at(20))
    assert answered.answer_overdue_days is None and unrouted.answer_overdue_days is None


def _list_queries(client, when):
    """The list rendered afresh (not served from the shared fragments), once the cache versions exist."""
    from django.core.cache import caches

    with time_machine.travel(when, tick=False):
        client.get(reverse("portal:message_list"))
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("portal:message_list"))
    return response, len(queries)


@pytest.mark.django_db
def test_public_list_shows_the_overdue_text_with_a_constant_number_of_queries(
    client, citizen, moderator, category, django_capture_on_commit_callbacks
):
    """§6.2 in the list: each late card says so; the calendar is read once a page, whatever its size."""
    late = [routed_on_20_february(citizen, category, moderator, text=f"Яма {i}") for i in range(2)]
    response, two = _list_queries(client, at(20))
    html = response.content.decode()
    assert html.count("Срок ответа истёк 8 рабочих дней назад") == 2
    with django_capture_on_commit_callbacks(execute=True):  # the list's shared fragment is rebuilt on commit
        late += [routed_on_20_february(citizen, category, moderator, text=f"Яма {i}") for i in range(2, 6)]
    response, six = _list_queries(client, at(20))
    assert response.content.decode().count("Срок ответа истёк 8 рабочих дней назад") == 6
    assert six == two
    # Not yet late: no calendar read at all, and no text.
    response, before = _list_queries(client, at(10))
    assert "Срок ответа истёк" not in response.content.decode()
    assert before == two - 1


@pytest.mark.django_db
def test_staff_board_and_public_page_count_the_same(client, citizen, moderator, supervisor, category):
    """One rule for both faces: the overdue board's «8 раб. дн.» is the public «8 рабочих дней»."""
    message = routed_on_20_february(citizen, category, moderator)
    client.force_login(supervisor)
    with time_machine.travel(at(20), tick=False):
        board = client.get(reverse("office:overdue"))
    [days] = [m.days_late for _, items in board.context["groups"][0].stages for m in items]
    assert days == 8
    client.logout()
    assert f"Срок ответа истёк {working_days_phrase(days)} назад" in page(client, message, at(20))
