"""Issue 13.6: the control view (§9, Appendix 2 row 1, Постановление № 2286 п. 4).

A scenario in May–June 2026 on the real production calendar (01.05, 09.05 and the observed 11.05 are days
off; 12.06 too), built through the services at fixed Moscow moments. Every figure is worked out by hand in
the comments and asserted below. "Now" is Wed 10.06.2026 12:00.
"""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import RejectionReason
from messages import services
from stats.control import control
from stats.periods import Period, period_of
from tests.factories import OfficialFactory, UserFactory, submit

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=MSK)
MAY = period_of("month", date(2026, 5, 1))
CONTROL = reverse("stats:control")
MAY_QUERY = {"period": "month", "on": "2026-05-01"}


def msk(m, d, h=10):
    return datetime(2026, m, d, h, 0, tzinfo=MSK)


@pytest.fixture
def may(world, citizen, moderator, other_category_moderator, executor, other_org_executor, supervisor):
    potholes, lighting, kbu = world["potholes"], world["lighting"], world["kbu"]
    m = {}
    # A: Wed 29.04 → registered Tue 05.05 by the moderator: 30.04, 04.05, 05.05 = 3 working days → on time.
    # Answer due 10 working days after 05.05: 06, 07, 08, 12–15, 18, 19, 20 → 20.05; answered Thu 21.05 by the
    # executor → late. Rated negative Fri 22.05 (rework, negative rating: the executor's). The rework is due
    # 10 working days after 22.05: 25–29.05, 01–05.06 → 05.06; not answered: on 10.06 late by 08, 09, 10 = 3.
    m["A"] = submit(citizen, potholes, now=msk(4, 29))
    services.message_register(message=m["A"], actor=moderator, now=msk(5, 5))
    services.message_answer(message=m["A"], actor=executor, kind="solved", text="Да.", now=msk(5, 21))
    services.message_rate(message=m["A"], actor=citizen, positive=False, remarks="Нет.", now=msk(5, 22))
    # B: Thu 30.04 → refused Thu 07.05 by the moderator: 04, 05, 06, 07 = 4 working days → late.
    m["B"] = submit(citizen, potholes, now=msk(4, 30))
    services.message_reject(
        message=m["B"], actor=moderator, reasons=[RejectionReason.objects.get(code="obscene")], now=msk(5, 7)
    )
    # C: Fri 08.05 18:00 → registered to МКУ «КБУ» Thu 14.05 by the moderator: 12, 13, 14 = 3 working days
    # (11.05 is the observed Victory Day) → on time. Answered Thu 28.05 by the КБУ executor: 15, 18–22,
    # 25–28 = 10 → on time. Rated positive 29.05 (the КБУ executor's).
    m["C"] = submit(citizen, potholes, now=msk(5, 8, 18))
    services.message_register(message=m["C"], actor=moderator, executing_organization=kbu, now=msk(5, 14))
    services.message_answer(
        message=m["C"], actor=other_org_executor, kind="solved", text="Да.", now=msk(5, 28)
    )
    services.message_rate(message=m["C"], actor=citizen, positive=True, now=msk(5, 29))
    # D (lighting, the Администрация has no executor of it: its moderator answers): Mon 18.05 → registered
    # Tue 19.05 (on time), answered Wed 20.05 (on time), rated negative Thu 21.05, answered again Mon 25.05
    # (1 working day after the rework → on time), rated positive Tue 26.05. All the lighting moderator's.
    m["D"] = submit(citizen, lighting, now=msk(5, 18))
    services.message_register(message=m["D"], actor=other_category_moderator, now=msk(5, 19))
    services.message_answer(
        message=m["D"], actor=other_category_moderator, kind="solved", text="Да.", now=msk(5, 20)
    )
    services.message_rate(message=m["D"], actor=citizen, positive=False, remarks="Нет.", now=msk(5, 21))
    services.message_answer(
        message=m["D"], actor=other_category_moderator, kind="solved", text="Да!", now=msk(5, 25)
    )
    services.message_rate(message=m["D"], actor=citizen, positive=True, now=msk(5, 26))
    # F: Mon 25.05 → registered Tue 26.05 by the supervisor (on time). Answer due 10 working days after
    # 26.05: 27–29.05, 01–05.06, 08, 09 → 09.06; on 10.06 overdue by 1 working day, owed by the executor.
    m["F"] = submit(citizen, potholes, now=msk(5, 25))
    services.message_register(message=m["F"], actor=supervisor, now=msk(5, 26))
    # E: Mon 01.06 → not decided; due 04.06; on 10.06 overdue by 05, 08, 09, 10 = 4 working days, owed by
    # the potholes moderator. (June: outside the May figures, inside "overdue now".)
    m["E"] = submit(citizen, potholes, now=msk(6, 1))
    return m


def _figures(tally):
    return {
        "decided": (tally.decided_on_time, tally.decided_late),
        "answered": (tally.answered_on_time, tally.answered_late),
        "reworks": tally.reworks,
        "rated": (tally.rated_positive, tally.rated_negative),
        "overdue": dict(tally.overdue),
        "overdue_days": dict(tally.overdue_days),
    }


def _by_label(rows):
    return {row.label: _figures(row.tally) for row in rows}


NONE_OVERDUE = {"registration": 0, "answer": 0, "rework": 0}


def test_control_figures_on_the_real_calendar(
    may, moderator, other_category_moderator, executor, other_org_executor, supervisor
):
    """§9, §5.4, §6.2, §7.3: decisions, answers on time and late, reworks, ratings per official and per
    organisation from the events, and what is overdue now in working days per stage."""
    result = control(supervisor.official, MAY, now=NOW)
    assert _figures(result.total) == {
        "decided": (4, 1),
        "answered": (3, 1),
        "reworks": 2,
        "rated": (2, 2),
        "overdue": {"registration": 1, "answer": 1, "rework": 1},
        "overdue_days": {"registration": 4, "answer": 1, "rework": 3},
    }
    officials = _by_label(result.officials)
    assert officials[moderator.full_name] == {
        "decided": (2, 1),
        "answered": (0, 0),
        "reworks": 0,
        "rated": (0, 0),
        "overdue": {"registration": 1, "answer": 0, "rework": 0},
        "overdue_days": {"registration": 4, "answer": 0, "rework": 0},
    }
    assert officials[executor.full_name] == {
        "decided": (0, 0),
        "answered": (0, 1),
        "reworks": 1,
        "rated": (0, 1),
        "overdue": {"registration": 0, "answer": 1, "rework": 1},
        "overdue_days": {"registration": 0, "answer": 1, "rework": 3},
    }
    assert officials[other_category_moderator.full_name] == {
        "decided": (1, 0),
        "answered": (2, 0),
        "reworks": 1,
        "rated": (1, 1),
        "overdue": NONE_OVERDUE,
        "overdue_days": NONE_OVERDUE,
    }
    assert officials[other_org_executor.full_name]["answered"] == (1, 0)
    assert officials[other_org_executor.full_name]["rated"] == (1, 0)
    assert officials[supervisor.full_name]["decided"] == (1, 0)
    organizations = _by_label(result.organizations)
    assert organizations["Администрация"]["decided"] == (4, 1)
    assert organizations["Администрация"]["answered"] == (2, 1)
    assert organizations["Администрация"]["rated"] == (1, 2)
    assert organizations["Администрация"]["overdue"] == {"registration": 1, "answer": 1, "rework": 1}
    assert organizations["МКУ «КБУ»"] == {
        "decided": (0, 0),
        "answered": (1, 0),
        "reworks": 0,
        "rated": (1, 0),
        "overdue": NONE_OVERDUE,
        "overdue_days": NONE_OVERDUE,
    }
    overdue = [(item.number, item.stage, item.days_late, item.officials) for item in result.overdue]
    assert overdue == [
        (may["E"].number, "registration", 4, [moderator.full_name]),
        (may["A"].number, "rework", 3, [executor.full_name]),
        (may["F"].number, "answer", 1, [executor.full_name]),
    ]


def test_control_counts_events_in_their_own_period(may, supervisor):
    """§9: April holds only receipts (no decision, answer or rating), June only the overdue messages."""
    april = control(supervisor.official, period_of("month", date(2026, 4, 1)), now=NOW)
    assert (april.total.decided, april.total.answered, april.total.reworks) == (0, 0, 0)
    assert all(row.tally.decided == row.tally.answered == 0 for row in april.officials)
    june = control(supervisor.official, Period("custom", date(2026, 6, 1), date(2026, 6, 10)), now=NOW)
    assert _figures(june.total)["decided"] == (0, 0)
    assert june.total.overdue_total == 3


def test_control_scope_follows_the_staff_statistics(
    may, world, citizen, other_category_moderator, executor, other_org_executor, moderator
):
    """§9, §2.5: a moderator sees the messages of their own categories (staff_messages, as the staff
    statistics): the lighting moderator of the Администрация sees nobody of МКУ «КБУ» and not the potholes
    officials; a moderator of МКУ «КБУ» for another category sees nothing of the Администрация."""
    lighting_view = control(other_category_moderator.official, MAY, now=NOW)
    assert [row.label for row in lighting_view.officials] == [other_category_moderator.full_name]
    assert [row.label for row in lighting_view.organizations] == ["Администрация"]
    assert lighting_view.overdue == []
    from tests.factories import CategoryFactory

    parks = CategoryFactory(key="parks", name="Парки", responsible_organization=world["kbu"])
    kbu_head = UserFactory(email="head@kbu.ru", full_name="Глава КБУ")
    OfficialFactory(user=kbu_head, organization=world["kbu"], role="moderator", categories=[parks])
    kbu_view = control(kbu_head.official, MAY, now=NOW)
    assert kbu_view.officials == [] and kbu_view.organizations == [] and kbu_view.total.decided == 0
    # the potholes moderator sees his category across organisations (КБУ executes C), not lighting
    potholes_view = _by_label(control(moderator.official, MAY, now=NOW).officials)
    assert other_org_executor.full_name in potholes_view
    assert other_category_moderator.full_name not in potholes_view


def test_row_1_official_sees_every_organisation(may, world, moderator, other_category_moderator):
    """Appendix 2 row 1, Постановление № 2286 п. 4: the official in charge of control over the platform
    (a moderator of some categories) sees all organisations and officials, like the monitors."""
    official = moderator.official
    narrow = _by_label(control(official, MAY, now=NOW).officials)
    assert other_category_moderator.full_name not in narrow
    official.controls_platform = True
    official.save()
    wide = _by_label(control(official, MAY, now=NOW).officials)
    assert other_category_moderator.full_name in wide


def test_appendix_2_row_1_is_the_platform_controller(reference_data):
    """Постановление № 2286 п. 4, Appendix 2 row 1: Дильман И. В. alone controls the whole platform; he opens
    every message (staff scope) while moderating only his own categories."""
    from directory import routing
    from directory.models import Category, Official
    from messages.selectors import may_control, staff_scope_q

    controllers = Official.objects.filter(controls_platform=True)
    assert [o.appendix_row for o in controllers] == [1]
    dilman = controllers.get()
    assert may_control(dilman) and dilman.oversees_everything
    assert staff_scope_q(dilman) == staff_scope_q(Official.objects.get(appendix_row=18))
    assert not routing.can_moderate(dilman, Category.objects.get(name="Строительство"))
    assert not may_control(Official.objects.get(appendix_row=3))  # an executor


def _control_queries(official):
    with CaptureQueriesContext(connection) as queries:
        control(official, MAY, now=NOW)
    return len(queries)


def test_query_count_does_not_grow_with_the_messages(may, world, citizen, moderator, executor, supervisor):
    """The control view reads a constant number of queries, whatever the number of messages."""
    small = _control_queries(supervisor.official)
    for day in (4, 5, 6, 7, 8, 12, 13):
        message = submit(citizen, world["potholes"], now=msk(5, day))
        services.message_register(message=message, actor=moderator, now=msk(5, day + 1))
        services.message_answer(
            message=message, actor=executor, kind="solved", text="Да.", now=msk(5, day + 2)
        )
        services.message_rate(
            message=message, actor=citizen, positive=day % 2 == 0, remarks="Нет.", now=msk(5, day + 3)
        )
        submit(citizen, world["potholes"], now=msk(6, 2))  # more overdue registrations
    assert _control_queries(supervisor.official) == small


# --- the page and the CSV ---------------------------------------------------------------------------


def test_control_page_for_the_monitors(client, may, supervisor, executor):
    """§9: the page shows the figures, links each overdue message and offers the CSV of every table."""
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(CONTROL, MAY_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Контроль сроков" in page and "Май 2026 года" in page
    assert reverse("office:review", args=[may["E"].number]) in page
    for key in ("organizations", "officials", "overdue"):
        assert reverse("stats:control_csv", args=[key]) + "?period=month&amp;on=2026-05-01" in page
    assert f'<li><a href="{CONTROL}" aria-current="page">Контроль сроков</a></li>' in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_control_page_refuses_executors_citizens_and_guests(client, may, executor, citizen, admin_user):
    """Who may open the control view: moderators, monitors and the platform's controller only."""
    assert client.get(CONTROL).status_code == 302
    for person in (executor, citizen, admin_user):
        client.force_login(person)
        assert client.get(CONTROL).status_code == 403
        assert client.get(reverse("stats:control_csv", args=["officials"])).status_code == 403


def test_navigation_links_the_control_view_only_for_those_who_may_see_it(client, moderator, executor):
    client.force_login(moderator)
    assert CONTROL in client.get(reverse("office:home")).content.decode()
    client.force_login(executor)
    assert CONTROL not in client.get(reverse("office:home")).content.decode()


def test_control_csv_for_russian_excel(client, may, supervisor, executor, moderator):
    """§9: CSV in UTF-8 with a byte-order mark, `;` between fields, the figures of the page."""
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("stats:control_csv", args=["officials"]), MAY_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="zarechny-control-officials-20260501-20260531.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Должностное лицо", "Рассмотрено в срок (§5.4)", "Рассмотрено с нарушением срока"]
    by_name = {row[0].split(" — ")[0]: row for row in rows[1:]}
    # on time, late, answers on time, late, reworks, +, −, then (overdue, longest delay) per stage
    assert by_name[executor.full_name][1:] == [
        "0",
        "0",
        "0",
        "1",
        "1",
        "0",
        "1",
        "0",
        "0",
        "1",
        "1",
        "1",
        "3",
    ]
    assert by_name[moderator.full_name][1:] == [
        "2",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "4",
        "0",
        "0",
        "0",
        "0",
    ]
    assert by_name["Итого"][1:8] == ["4", "1", "3", "1", "2", "2", "2"]
    with time_machine.travel(NOW, tick=False):
        overdue = client.get(reverse("stats:control_csv", args=["overdue"]), MAY_QUERY)
    rows = list(csv.reader(io.StringIO(overdue.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:5] == [may["E"].number, "Ямы на дорогах", "регистрация (§5.4)", "04.06.2026", "4"]
    assert client.get(reverse("stats:control_csv", args=["nothing"]), MAY_QUERY).status_code == 404


def test_migration_marks_row_1_and_keeps_an_administrators_choice(reference_data):
    """directory/0004: a database seeded before the field gets row 1 marked; a choice made since is kept."""
    import importlib

    from django.apps import apps

    from directory.models import Official

    migration = importlib.import_module("directory.migrations.0004_official_controls_platform")
    Official.objects.update(controls_platform=False)
    migration.row_1_controls_the_platform(apps, None)
    assert list(Official.objects.filter(controls_platform=True).values_list("appendix_row", flat=True)) == [1]
    Official.objects.update(controls_platform=False)
    Official.objects.filter(appendix_row=2).update(controls_platform=True)
    migration.row_1_controls_the_platform(apps, None)
    assert list(Official.objects.filter(controls_platform=True).values_list("appendix_row", flat=True)) == [2]


def test_an_overdue_step_nobody_owes_is_shown_as_a_gap(world, citizen, moderator):
    """§9: a message of a category with no moderator and no monitor is overdue for nobody by name; the
    control view says so instead of dropping it."""
    message = submit(citizen, world["lighting"], now=msk(6, 1))
    result = control(moderator.official, MAY, now=NOW)
    assert result.overdue == []  # lighting is outside the potholes moderator's scope
    from tests.factories import OfficialFactory as Factory

    head = UserFactory(email="controller@adm.ru")
    Factory(user=head, organization=world["administration"], role="moderator", categories=[])
    head.official.controls_platform = True
    head.official.save()
    result = control(head.official, MAY, now=NOW)
    assert [(i.number, i.officials) for i in result.overdue] == [(message.number, [])]
    assert result.officials[-1].key == "official:none"
    assert result.officials[-1].tally.overdue["registration"] == 1


def test_page_query_count_does_not_grow_with_the_messages(client, may, world, citizen, moderator, supervisor):
    """The page and its CSV, not only the computation, read a constant number of queries."""
    client.force_login(supervisor)

    def queries(url):
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            assert client.get(url, MAY_QUERY).status_code == 200
        return len(captured)

    csv_url = reverse("stats:control_csv", args=["officials"])
    small = (queries(CONTROL), queries(csv_url))
    for day in (4, 5, 6, 7):
        message = submit(citizen, world["potholes"], now=msk(5, day))
        services.message_register(message=message, actor=moderator, now=msk(5, day + 1))
        submit(citizen, world["potholes"], now=msk(6, 2))
    assert (queries(CONTROL), queries(csv_url)) == small
