"""The statistics pages: who may open them, what they show, CSV, drill-down and query counts."""

import csv
import io

import pytest
from django.urls import reverse

from stats.services import refresh_rollups
from tests.factories import answered, registered, submit
from tests.sharedcache import shared_cache_queries

from .conftest import NOW

PERIOD = {"period": "custom", "start": "2025-12-01", "end": "2026-01-31"}
PUBLIC = reverse("stats:public")
STAFF = reverse("stats:staff")
DRILL = reverse("stats:staff_drilldown")


@pytest.fixture
def refreshed(known, settings):
    settings.STATS_MIN_SAMPLE = 3
    refresh_rollups(now=NOW)
    return known


def _drill(client, **params):
    return client.get(DRILL, {**PERIOD, **params})


# --- public page ---------------------------------------------------------------------------------


def test_public_page_for_a_guest(client, refreshed, citizen):
    response = client.get(PUBLIC, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Статистика рассмотрения сообщений" in html
    assert html.count("<svg") == 3 and '<title id="chart-flow-t">' in html and "<desc" in html
    assert "81,8 %" in html  # on-time registration share (9 of 11)
    assert "мало данных" in html
    assert "Данные графика таблицей" in html
    assert "/office/stats/messages/" not in html  # no drill-down for the public
    # aggregates only: no author, no message number, no text
    assert citizen.full_name not in html and refreshed["M1"].number not in html and "Сообщение M1" not in html


def test_public_page_default_period_and_bad_period(client, db):
    assert client.get(PUBLIC).status_code == 200
    response = client.get(PUBLIC, {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Последняя дата не может быть раньше первой." in html
    assert 'aria-describedby="id_end-error"' in html and 'aria-invalid="true"' in html


def test_public_page_wrong_method(client, db):
    assert client.post(PUBLIC).status_code == 405


def test_public_csv(client, refreshed):
    response = client.get(reverse("stats:public_csv", args=["categories"]), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "zarechny-stats-categories-20251201-20260131.csv" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Категория", "Поступило", "Зарегистрировано", "Отказано"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Ямы на дорогах"][1:5] == ["9", "6", "3", "77,8"]
    assert by_name["Освещение"][4] == "мало данных"


@pytest.mark.parametrize(
    "table", ["summary", "organizations", "moderation", "topics", "categories", "reasons", "series"]
)
def test_every_table_downloads(client, refreshed, table):
    response = client.get(reverse("stats:public_csv", args=[table]), PERIOD)
    assert response.status_code == 200
    assert len(response.content.decode("utf-8-sig").splitlines()) >= 2


def test_csv_unknown_table_and_method(client, db):
    assert client.get(reverse("stats:public_csv", args=["nope"])).status_code == 404
    assert client.post(reverse("stats:public_csv", args=["summary"])).status_code == 405


# --- staff page ----------------------------------------------------------------------------------


def test_staff_page_needs_login(client, db):
    response = client.get(STAFF)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("stats:staff_csv", args=["summary"])).status_code == 302
    assert client.get(DRILL).status_code == 302


def test_staff_page_refuses_citizens(client, citizen):
    client.force_login(citizen)
    assert client.get(STAFF).status_code == 403
    assert client.get(reverse("stats:staff_csv", args=["summary"])).status_code == 403
    assert _drill(client, metric="received").status_code == 403


def test_staff_page_refuses_a_retired_official(client, moderator):
    moderator.official.is_active = False
    moderator.official.save()
    client.force_login(moderator)
    assert client.get(STAFF).status_code == 403


def test_staff_page_for_an_official(client, refreshed, executor):
    client.force_login(executor)
    response = client.get(STAFF, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Статистика для сотрудников" in html
    assert f'href="{DRILL}?' in html
    assert client.get(reverse("stats:staff_csv", args=["organizations"]), PERIOD).status_code == 200


def test_staff_pages_wrong_method(client, moderator):
    client.force_login(moderator)
    assert client.post(STAFF).status_code == 405
    assert client.post(DRILL).status_code == 405
    assert client.post(reverse("stats:staff_csv", args=["summary"])).status_code == 405


# --- drill-down ----------------------------------------------------------------------------------


def _numbers(response):
    return {m.number for m in response.context["messages_on_page"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"metric": "received"}, {"M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "L1", "L2"}),
        ({"metric": "decided", "key": "late"}, {"M2", "M7"}),
        ({"metric": "reason", "key": "duplicate"}, {"M6"}),
        ({"metric": "first_answer", "key": "late"}, {"M4"}),
        ({"metric": "answered", "key": "solved"}, {"M1", "M5"}),
        ({"metric": "rework"}, {"M5"}),
        ({"metric": "supports"}, {"M1"}),
        ({"metric": "overdue"}, {"M7", "M8", "M9", "L1", "L2"}),
        ({"metric": "overdue", "key": "registration"}, {"M8"}),
        ({"metric": "received", "group": "category:{lighting}"}, {"L1", "L2"}),
        ({"metric": "registered", "group": "org:{kbu}"}, {"M4"}),
        ({"metric": "rejected", "group": "org:none"}, {"M3", "M6"}),
    ],
)
def test_drilldown_lists_the_messages_of_a_figure(client, refreshed, supervisor, world, params, expected):
    client.force_login(supervisor)
    if "group" in params:
        params = {
            **params,
            "group": params["group"].format(lighting=world["lighting"].pk, kbu=world["kbu"].pk),
        }
    response = _drill(client, **params)
    assert response.status_code == 200
    assert _numbers(response) == {refreshed[name].number for name in expected}


def test_drilldown_rows_show_the_local_times_and_dashes(client, refreshed, supervisor):
    """The rows are plain text built in Python (issue 14): times in Moscow time as «дд.мм.гггг чч:мм»,
    a dash for what has not happened yet, the review link by number."""
    client.force_login(supervisor)
    m1, m8 = refreshed["M1"], refreshed["M8"]
    body = _drill(client, metric="received").content.decode()
    for message in (m1, m8):
        assert f'<a href="/office/m/{message.number}/">' in body
    # M1: submitted 26.12 10:00, registered 12.01 09:00, answered 13.01 10:00 (Moscow); M8 only submitted.
    assert (
        "<td>закрыто</td>\n        <td>26.12.2025 10:00</td>\n        <td>12.01.2026 09:00</td>\n"
        "        <td>13.01.2026 10:00</td>" in body
    )
    assert (
        "<td>—</td>\n        <td>на модерации</td>\n        <td>26.01.2026 10:00</td>\n        <td>—</td>"
        in body
    )


def test_drilldown_counts_events_and_messages(client, refreshed, supervisor):
    client.force_login(supervisor)
    response = _drill(client, metric="answered", key="solved")
    assert response.context["drill"].events == 3  # M5 answered twice
    assert "событий: 3" in response.content.decode()


def test_drilldown_is_scoped_to_the_official(client, refreshed, other_org_executor, other_category_moderator):
    client.force_login(other_org_executor)  # МКУ «КБУ», potholes: only what is routed to КБУ
    assert _numbers(_drill(client, metric="received")) == {refreshed["M4"].number}
    client.force_login(other_category_moderator)  # lighting only
    assert _numbers(_drill(client, metric="received")) == {refreshed["L1"].number, refreshed["L2"].number}


def test_drilldown_rejects_bad_parameters(client, supervisor):
    client.force_login(supervisor)
    assert _drill(client, metric="nope").status_code == 404
    assert _drill(client, metric="received", group="org:abc").status_code == 404
    assert _drill(client, metric="received", group="category:999999").status_code == 404
    assert client.get(DRILL, {"metric": "received", "period": "custom"}).status_code == 404


# --- query counts --------------------------------------------------------------------------------


def _make(n, world, citizen, moderator, executor):
    for i in range(n):
        if i % 3 == 0:
            submit(citizen, world["potholes"])
        elif i % 3 == 1:
            registered(citizen, world["potholes"], moderator)
        else:
            answered(citizen, world["potholes"], moderator, executor)
    refresh_rollups()


@pytest.mark.parametrize("n", [2, 20])
def test_public_page_queries_do_not_grow(
    client, world, citizen, moderator, executor, n, django_assert_num_queries
):
    _make(n, world, citizen, moderator, executor)
    # the refresh time (the cache key), the report's 7; of the shared cache (tests/sharedcache.py): a
    # guest's whole page (missing), the report and the period form (one read, missing), and keeping the
    # form, the report and the page
    with django_assert_num_queries(1 + 7 + shared_cache_queries(reads=2, sets=3)):
        assert client.get(PUBLIC).status_code == 200
    # the same page again within the minute: the refresh time and the guest's whole page
    with django_assert_num_queries(1 + shared_cache_queries(reads=1)):
        assert client.get(PUBLIC).status_code == 200


@pytest.mark.parametrize("n", [2, 20])
def test_staff_page_queries_do_not_grow(
    client, world, citizen, moderator, executor, n, django_assert_num_queries
):
    _make(n, world, citizen, moderator, executor)
    client.force_login(moderator)
    # user, the official with its organisation (one query, issue 14); the refresh time, the report's 7;
    # of the shared cache: the session, the official's whole page (missing), the report and the period
    # form (one read, missing), keeping the form, the report and the page
    with django_assert_num_queries(2 + 1 + 7 + shared_cache_queries(sessions=1, reads=2, sets=3)):
        assert client.get(STAFF).status_code == 200
    # user, official; the refresh time; the session, the official's page
    with django_assert_num_queries(2 + 1 + shared_cache_queries(sessions=1, reads=1)):
        assert client.get(STAFF).status_code == 200


@pytest.mark.parametrize("n", [2, 20])
def test_drilldown_queries_do_not_grow(
    client, world, citizen, moderator, executor, n, django_assert_num_queries
):
    _make(n, world, citizen, moderator, executor)
    client.force_login(moderator)
    # user, the official with its organisation; the refresh time; the stored facts, which of them are in
    # the official's scope; the page's messages; of the shared cache: the session, the official's kept
    # page (missing), keeping the page
    with django_assert_num_queries(2 + 1 + 3 + shared_cache_queries(sessions=1, reads=1, sets=1)):
        assert client.get(DRILL, {"metric": "received"}).status_code == 200
    # the same list within the minute: the kept page
    with django_assert_num_queries(2 + 1 + shared_cache_queries(sessions=1, reads=1)):
        assert client.get(DRILL, {"metric": "received"}).status_code == 200


def test_drilldown_of_january_with_a_message_corrected_in_may(client, world, citizen, moderator, supervisor):
    """Seen: 500 (IndexError) for a January period holding a message corrected and registered in May."""
    from directory.models import RejectionReason
    from messages import services

    from .conftest import msk

    message = submit(citizen, world["potholes"], now=msk(2026, 1, 12))
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=[RejectionReason.objects.get(code="obscene")],
        now=msk(2026, 1, 14),
    )
    services.message_resubmit(message=message, actor=citizen, text="Исправлено.", now=msk(2026, 5, 18))
    services.message_register(message=message, actor=moderator, now=msk(2026, 5, 19))
    refresh_rollups(now=msk(2026, 5, 20))  # the list behind a figure is what the last refresh counted
    client.force_login(supervisor)
    january = {"period": "month", "on": "2026-01-01"}
    for metric in ("received", "decided", "rejected"):
        response = client.get(DRILL, {**january, "metric": metric})
        assert response.status_code == 200
        assert [m.pk for m in response.context["messages_on_page"]] == [message.pk]
    # the refusal on Wed 14.01 took 2 working days (13, 14): on time; the registration is May's
    on_time = client.get(DRILL, {**january, "metric": "decided", "key": "on_time"})
    assert on_time.context["drill"].events == 1


# --- answers after a rework (§7.3) and decisions by the moderators' organisation (§5.4) ---------------

FEBRUARY = {"period": "month", "on": "2026-02-01"}


@pytest.fixture
def february_refreshed(february, settings):
    from .conftest import msk

    settings.STATS_MIN_SAMPLE = 2
    refresh_rollups(now=msk(2026, 3, 2))
    return february


@pytest.mark.parametrize(
    ("params", "expected", "events"),
    [
        ({"metric": "rework_answer"}, {"R"}, 2),
        ({"metric": "rework_answer", "key": "late"}, {"R"}, 1),
        ({"metric": "first_answer", "key": "late"}, set(), 0),
        ({"metric": "moderated", "key": "late", "group": "org:{kbu}"}, {"P2"}, 1),
        ({"metric": "moderated", "key": "on_time", "group": "org:{kbu}"}, {"P1"}, 1),
        ({"metric": "moderated", "group": "org:{adm}"}, {"R", "P3"}, 2),
        ({"metric": "moderated", "key": "late"}, {"P2"}, 1),
        # the executing organisation's own figure still follows the message: P1 is executed by Администрация
        ({"metric": "decided", "group": "org:{kbu}"}, {"P3"}, 1),
    ],
)
def test_drilldown_of_the_new_figures(
    client, february_refreshed, supervisor, world, params, expected, events
):
    client.force_login(supervisor)
    group = params.get("group", "total").format(kbu=world["kbu"].pk, adm=world["administration"].pk)
    response = client.get(DRILL, {**FEBRUARY, **params, "group": group})
    assert response.status_code == 200
    assert _numbers(response) == {february_refreshed[name].number for name in expected}
    assert response.context["drill"].events == events


def test_new_figures_on_the_pages_and_in_csv(client, february_refreshed, supervisor, world):
    html = client.get(PUBLIC, FEBRUARY).content.decode()
    assert "Ответ после доработки в срок (≤ 10 рабочих дней с возврата, §7.3)" in html
    assert "Рассмотрение модераторами по организациям" in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("stats:public_csv", args=["moderation"]), FEBRUARY).content.decode(
                    "utf-8-sig"
                )
            ),
            delimiter=";",
        )
    )
    assert rows == [
        [
            "Организация модераторов",
            "Рассмотрено",
            "Рассмотрено в срок",
            "Рассмотрено с нарушением срока",
            "Доля рассмотренных в срок",
        ],
        ["Администрация", "2", "2", "0", "100"],
        ["МКУ «КБУ»", "2", "1", "1", "50"],
    ]
    summary = client.get(reverse("stats:public_csv", args=["summary"]), FEBRUARY).content.decode("utf-8-sig")
    assert "Ответ после доработки в срок (≤ 10 рабочих дней с возврата, §7.3);50" in summary
    assert "Ответ после доработки с нарушением срока;1" in summary
    client.force_login(supervisor)
    staff = client.get(STAFF, FEBRUARY).content.decode()
    assert f"metric=moderated&amp;key=late&amp;group=org%3A{world['kbu'].pk}" in staff
    assert "metric=rework_answer&amp;key=late" in staff


def test_drilldown_links_encode_like_urlencode():
    """The figures' links are built with a cached quoting (issue 14): the same query strings as urlencode."""
    from urllib.parse import urlencode

    from stats.tables import _query_string

    params = {
        "period": "custom",
        "start": "2026-01-05",
        "metric": "reason",
        "key": "в срок & ещё",
        "group": "org:5",
    }
    assert _query_string(params) == urlencode(params)


def test_the_report_is_kept_until_the_next_refresh(client, world, citizen, moderator, executor, supervisor):
    """Guests and officials get the rendered report from the cache; a refresh changes the key at once."""
    from datetime import timedelta

    from django.utils import timezone

    _make(2, world, citizen, moderator, executor)
    assert "Поступило" in client.get(PUBLIC).content.decode()
    before = client.get(PUBLIC).content.decode()
    submit(citizen, world["potholes"])
    assert client.get(PUBLIC).content.decode() == before  # not refreshed: the same figures, cached
    refresh_rollups(now=timezone.now() + timedelta(seconds=1))
    assert client.get(PUBLIC).content.decode() != before
    client.force_login(supervisor)
    staff = client.get(STAFF).content.decode()
    assert DRILL in staff and DRILL not in client.get(PUBLIC).content.decode()  # one body per face


def test_the_report_is_kept_in_the_shared_cache_for_every_process(
    client, world, citizen, moderator, executor, supervisor, other_org_executor
):
    """A report rendered by one web process is the one every other process and node serves (the shared
    cache, not a copy per process), one for guests and one for officials, the same for every official
    (the figures are not scoped; the drill-downs behind them are)."""
    from django.core.cache import caches
    from django.http import QueryDict

    from stats import selectors
    from stats.periods import parse_period
    from stats.views import report_key

    _make(2, world, citizen, moderator, executor)
    _form, period = parse_period(QueryDict(PUBLIC.partition("?")[2]))
    refreshed_at = selectors.refreshed_at()
    assert client.get(PUBLIC).status_code == 200
    shared = caches["default"]
    assert shared.get(report_key(period, staff=False, refreshed_at=refreshed_at)) is not None
    assert shared.get(report_key(period, staff=True, refreshed_at=refreshed_at)) is None
    client.force_login(supervisor)
    supervisor_page = client.get(STAFF).content.decode()
    staff_parts = shared.get(report_key(period, staff=True, refreshed_at=refreshed_at))
    assert staff_parts is not None and staff_parts[1] in supervisor_page
    client.force_login(other_org_executor)
    assert staff_parts[1] in client.get(STAFF).content.decode()


def test_a_guests_whole_page_is_kept_per_form_and_never_given_to_a_signed_in_person(
    client, world, citizen, moderator, executor
):
    """The whole public page is kept for plain guests by the period and the form as the query fills it
    (two dates of one month are one report, two forms); a signed-in person gets their own header."""
    _make(2, world, citizen, moderator, executor)
    first = client.get(PUBLIC, {"period": "month", "on": "2026-01-15"}).content.decode()
    second = client.get(PUBLIC, {"period": "month", "on": "2026-01-20"}).content.decode()
    assert 'value="2026-01-15"' in first and 'value="2026-01-20"' in second
    assert (
        'value="2026-01-15"' in client.get(PUBLIC, {"period": "month", "on": "2026-01-15"}).content.decode()
    )
    assert "Войти" in first and "Выйти" not in first
    client.force_login(citizen)
    mine = client.get(PUBLIC, {"period": "month", "on": "2026-01-15"}).content.decode()
    assert "Выйти" in mine and "Войти" not in mine
    client.logout()
    again = client.get(PUBLIC, {"period": "month", "on": "2026-01-15"}).content.decode()
    assert "Выйти" not in again


def test_the_staff_page_is_kept_per_official_and_shows_a_refresh_at_once(
    client, world, citizen, moderator, executor, supervisor
):
    """The whole staff page is kept per official (their name and menu are on it), never given to
    another; a refresh shows at once; the logout form carries the visitor's own CSRF token."""
    import re
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    _make(2, world, citizen, moderator, executor)
    client.force_login(supervisor)
    first = client.get(STAFF).content.decode()
    assert supervisor.get_full_name() in first and "Просрочки" in first
    other = Client(enforce_csrf_checks=True)
    other.force_login(moderator)
    theirs = other.get(STAFF)
    page = theirs.content.decode()
    assert moderator.get_full_name() in page and supervisor.get_full_name() not in page
    assert "Просрочки" not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert other.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    before = client.get(STAFF).content.decode()
    submit(citizen, world["potholes"])
    refresh_rollups(now=timezone.now() + timedelta(seconds=1))
    assert client.get(STAFF).content.decode() != before


def test_a_kept_drilldown_is_never_given_to_another_scope(
    client, refreshed, supervisor, other_org_executor, other_category_moderator
):
    """Each official's drill-down is kept for them alone: the same figure asked by officials of other
    scopes lists only their own messages, before and after the supervisor's copy is kept."""
    client.force_login(supervisor)
    everything = _numbers(_drill(client, metric="received"))
    assert client.get(DRILL, {**PERIOD, "metric": "received"}).status_code == 200  # kept now
    for official in (other_org_executor, other_category_moderator):
        client.force_login(official)
        response = _drill(client, metric="received")
        assert response.status_code == 200
        assert _numbers(response) < everything
