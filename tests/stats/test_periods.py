"""Period parameters out of the calendar's range are a 400, not a 500 (issue 11, item 10)."""

import pytest

from stats.periods import parse_period


@pytest.mark.parametrize(
    "query",
    [
        {"period": "year", "on": "9999-12-31"},
        {"period": "week", "on": "0001-01-01"},
        {"period": "custom", "start": "0001-01-01", "end": "0001-01-03"},
        {"period": "custom", "start": "9999-12-25", "end": "9999-12-31"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused(query):
    form, period = parse_period(query)
    assert period is None
    assert any("Укажите дату с 2000 по 2099 год." in e for errors in form.errors.values() for e in errors)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/stats/", "/stats/summary.csv"])
def test_stats_pages_answer_4xx_for_year_9999(client, url):
    response = client.get(url, {"period": "year", "on": "9999-12-31"})
    assert 400 <= response.status_code < 500


def test_ordinary_dates_still_work():
    _form, period = parse_period({"period": "year", "on": "2026-05-01"})
    assert period is not None and period.start.year == 2026
