"""Figures of the known dataset (tests/stats/conftest.py), worked out by hand there."""

from datetime import date, timedelta

import pytest

from directory.models import CalendarOverride
from directory.workdays import add_working_days, working_days_between
from stats import facts
from stats.figures import Rates, median, percentile
from stats.models import DailyCount
from stats.periods import Period, period_of
from stats.selectors import report
from stats.services import refresh_rollups
from stats.tables import build_tables

from .conftest import NOW, msk

DEC_JAN = Period("custom", date(2025, 12, 1), date(2026, 1, 31))


@pytest.fixture
def sample3(settings):
    settings.STATS_MIN_SAMPLE = 3


def _report(period=DEC_JAN):
    refresh_rollups(now=NOW)
    return report(period, now=NOW)


def _by_label(groups):
    return {g.label: Rates(g.figures, 3) for g in groups}


def test_totals_of_the_known_dataset(known, sample3):
    total = Rates(_report().total.figures, 3)
    assert (total.received, total.registered, total.rejected) == (11, 8, 3)
    # decisions: 0,1,1,1,1,1,1,3,3,4,4 — two late (M2 after 4 days, M7's refusal after 4 days)
    assert (total.decided, total.decided_late) == (11, 2)
    assert total.decided_on_time_share == pytest.approx(100 * 9 / 11)
    assert (total.decision_median, total.decision_p90) == (1.0, 4.0)
    assert total.answered == 5
    assert total.answered_kinds == {"solved": 3, "planned": 1, "impossible": 1}
    # first answers: 1 (M1), 9 (M2), 12 (M4, late), 2 (M5) working days — across the New Year holidays
    assert (total.first_answers, total.first_answer_late) == (4, 1)
    assert total.answer_on_time_share == 75.0
    assert (total.answer_median, total.answer_p90) == (5.5, 12.0)
    assert (total.rework, total.rework_share) == (1, 20.0)
    assert (total.rated_positive, total.rated_negative) == (2, 1)
    assert total.positive_share == pytest.approx(200 / 3)
    assert total.closed_unrated == 0  # M2 was closed on 01.03, outside the period
    assert total.supports == 2
    # now = 11.02: M8 waits for moderation since 26.01; M7, M9, L1, L2 wait for an answer past their due
    assert (total.overdue_registration, total.overdue_answer) == (1, 4)


def test_reasons_and_groups(known, sample3):
    r = _report()
    assert [(code, n) for code, _title, n in r.reasons] == [("obscene", 3), ("duplicate", 1)]
    categories = _by_label(r.categories)
    assert categories["Ямы на дорогах"].decided == 9
    assert categories["Ямы на дорогах"].decided_on_time_share == pytest.approx(700 / 9)
    # only two decisions in «Освещение»: below the minimum sample of 3, so no share and no median
    lighting = categories["Освещение"]
    assert (lighting.received, lighting.decided) == (2, 2)
    assert lighting.decided_on_time_share is None
    assert lighting.decision_median is None
    organizations = _by_label(r.organizations)
    adm, kbu = organizations["Администрация"], organizations["МКУ «КБУ»"]
    assert (adm.registered, kbu.registered) == (7, 1)
    assert (adm.answer_median, adm.answer_p90, adm.answer_on_time_share) == (2.0, 9.0, 100.0)
    assert kbu.first_answers == 1 and kbu.answer_on_time_share is None
    unrouted = organizations["Ещё не направлено организации"]
    # M3, M6 (refused) and M8 (waiting); M7's refusal counts for Администрация, where it is routed now
    assert (unrouted.received, unrouted.rejected, unrouted.overdue_registration) == (3, 2, 1)
    topics = _by_label(r.topics)
    assert topics["Дороги"].received == 11


def test_minimum_sample_boundary(known, settings):
    """«Освещение» has exactly two decisions: a rate at a minimum of 2, «мало данных» at 3."""
    refresh_rollups(now=NOW)

    def lighting_on_time():
        categories = next(t for t in build_tables(report(DEC_JAN, now=NOW)) if t.key == "categories")
        row = next(r for r in categories.rows if r.label == "Освещение")
        return row.cells[categories.columns.index("Рассмотрено в срок")].text

    settings.STATS_MIN_SAMPLE = 2
    assert lighting_on_time() == "100,0 %"
    settings.STATS_MIN_SAMPLE = 3
    assert lighting_on_time() == "мало данных"


def test_default_minimum_sample_of_ten(known):
    r = _report()
    assert r.min_sample == 10
    total = Rates(r.total.figures, r.min_sample)
    assert total.decided_on_time_share == pytest.approx(100 * 9 / 11)  # 11 decisions
    assert total.answer_on_time_share is None  # 4 first answers
    summary = build_tables(r)[0]
    texts = {row.label: row.cells[0].text for row in summary.rows}
    assert texts["Рассмотрено в срок (≤ 3 рабочих дней, §5.4)"] == "81,8 %"
    assert texts["Первый ответ в срок (≤ 10 рабочих дней, §6.2)"] == "мало данных"
    assert texts["Рабочих дней до первого ответа: медиана"] == "мало данных"


def test_periods_count_events_when_they_happen(known, sample3):
    january = Rates(_report(period_of("month", date(2026, 1, 5))).total.figures, 3)
    assert january.received == 7  # M5–M9, L1, L2
    assert january.decided == 10  # all but M4 (decided 30.12)
    december = Rates(report(period_of("month", date(2025, 12, 5)), now=NOW).total.figures, 3)
    assert (december.received, december.registered, december.decided) == (4, 1, 1)
    year = Rates(report(period_of("year", date(2026, 3, 1)), now=NOW).total.figures, 3)
    assert year.closed_unrated == 1


def test_weekly_series(known, sample3):
    r = _report(period_of("quarter", date(2026, 1, 1)))
    assert r.series_unit == "week"
    weeks = {first: (received, answered) for first, _last, received, answered in r.series}
    assert weeks[date(2026, 1, 1)] == (0, 0)  # the first bucket is cut at the period start
    assert weeks[date(2026, 1, 5)] == (0, 0)  # holidays
    assert weeks[date(2026, 1, 12)] == (5, 2)  # M5, L1, L2 (12.01), M6, M7 (14.01); M1 and M5 answered
    assert weeks[date(2026, 1, 19)] == (0, 1)  # M5 answered again 20.01
    assert weeks[date(2026, 1, 26)] == (2, 2)  # M8, M9; M2 (26.01) and M4 (27.01) answered
    assert sum(w[0] for w in weeks.values()) == 7


def test_working_day_index_matches_the_calendar(db):
    CalendarOverride.objects.create(date=date(2026, 3, 10), is_working=False, reason="местный выходной")
    index = facts.WorkdayIndex(date(2025, 12, 1), date(2026, 1, 1))
    start = date(2025, 12, 20)
    for offset in range(0, 110, 3):
        a = start + timedelta(days=offset)
        for length in (0, 1, 5, 17):
            b = a + timedelta(days=length)
            assert index.between(a, b) == working_days_between(a, b), (a, b)
        for n in (3, 10):
            assert index.due(a, n) == add_working_days(msk(a.year, a.month, a.day), n).date(), (a, n)


def test_median_and_percentile_definitions():
    assert median([(1, 1), (3, 1)]) == 2.0
    assert median([(0, 1), (1, 6), (3, 2), (4, 2)]) == 1.0
    assert percentile([(1, 1), (2, 1), (9, 1), (12, 1)], 90) == 12.0
    assert percentile([(1, 9), (5, 1)], 90) == 1.0
    assert median([]) is None


def _counters():
    return set(DailyCount.objects.values_list("day", "category", "organization", "metric", "key", "count"))


def test_incremental_refresh_equals_a_full_rebuild(known, moderator, executor, other_org_executor, world):
    from messages import services

    refresh_rollups(now=msk(2026, 1, 25))
    # later: M8 registered, M9 answered; an old message (M7) is reassigned, which moves its past days
    services.message_register(message=known["M8"], actor=moderator, now=msk(2026, 2, 2))
    services.message_answer(
        message=known["M9"], actor=executor, kind="solved", text="Да.", now=msk(2026, 2, 3)
    )
    services.message_reassign(
        message=known["M7"], actor=moderator, executing_organization=world["kbu"], now=msk(2026, 2, 4)
    )
    refresh_rollups(since=msk(2026, 2, 1), now=NOW)
    incremental = _counters()
    refresh_rollups(now=NOW)
    full = _counters()
    assert incremental == full
    # M7's receipt on 14.01 now counts for МКУ «КБУ»
    assert (date(2026, 1, 14), world["potholes"].pk, world["kbu"].pk, facts.RECEIVED, "", 1) in full
    assert any(row[3] == facts.ANSWERED and row[0] == date(2026, 2, 3) for row in full)


def test_report_query_count_does_not_grow(known, django_assert_num_queries):
    refresh_rollups(now=NOW)
    with django_assert_num_queries(7):
        report(DEC_JAN, now=NOW)


FEBRUARY = period_of("month", date(2026, 2, 1))


def test_answers_after_a_rework_have_their_own_deadline(february, sample3):
    """§7.3: measured from the negative rating, not from the registration (fixture `february`)."""
    refresh_rollups(now=msk(2026, 3, 2))
    total = Rates(report(FEBRUARY, now=msk(2026, 3, 2)).total.figures, 3)
    assert total.answered == 3
    assert (total.first_answers, total.first_answer_late) == (1, 0)  # only R's answer of 04.02
    assert (total.rework, total.rework_answers, total.rework_answer_late) == (2, 2, 1)
    assert total.rework_answer_on_time_share is None  # 2 < minimum sample of 3
    counts = set(DailyCount.objects.filter(metric=facts.REWORK_ANSWER).values_list("day", "key", "count"))
    assert counts == {(date(2026, 2, 24), facts.LATE, 1), (date(2026, 2, 26), facts.ON_TIME, 1)}


def test_decisions_count_for_the_organisation_of_the_moderator(february, world, sample3):
    refresh_rollups(now=msk(2026, 3, 2))
    r = report(FEBRUARY, now=msk(2026, 3, 2))
    deciders = {g.label: Rates(g.figures, 3) for g in r.moderating_organizations}
    adm, kbu = deciders["Администрация"], deciders["МКУ «КБУ»"]
    # Администрация's moderator decided R and P3 (on time); КБУ's decided P1 (on time) and P2 (late)
    assert (adm.moderated, adm.moderated_on_time, adm.moderated_late) == (2, 2, 0)
    assert (kbu.moderated, kbu.moderated_on_time, kbu.moderated_late) == (2, 1, 1)
    # the executing organisations' decision figures are unchanged: R, P1 at Администрация, P3 at КБУ,
    # the refused P2 with nobody
    executing = _by_label(r.organizations)
    assert (executing["Администрация"].decided, executing["МКУ «КБУ»"].decided) == (2, 1)
    assert executing["Ещё не направлено организации"].decided_late == 1
    table = next(t for t in build_tables(r) if t.key == "moderation")
    rows = {row.label: [cell.text for cell in row.cells] for row in table.rows}
    assert rows == {
        "Администрация": ["2", "2", "0", "мало данных"],
        "МКУ «КБУ»": ["2", "1", "1", "мало данных"],
    }


def test_an_organisation_that_only_moderates_is_not_listed_as_an_executor(world, citizen, executor, sample3):
    from messages import services
    from tests.factories import OfficialFactory, UserFactory, submit

    kbu_user = UserFactory(email="moderator@kbu.ru")
    OfficialFactory(
        user=kbu_user, organization=world["kbu"], role="moderator", categories=[world["potholes"]]
    )
    kbu_user.refresh_from_db()
    message = submit(citizen, world["potholes"], now=msk(2026, 2, 2))
    services.message_register(message=message, actor=kbu_user, now=msk(2026, 2, 3))
    refresh_rollups(now=msk(2026, 3, 2))
    r = report(FEBRUARY, now=msk(2026, 3, 2))
    assert [g.label for g in r.organizations] == ["Администрация"]
    assert [g.label for g in r.moderating_organizations] == ["МКУ «КБУ»"]
