"""The statistics pages in a real browser: public page for a guest, staff page and drill-down."""

import pytest

from stats.services import refresh_rollups
from tests.stats.conftest import NOW, known  # noqa: F401 — the dataset fixture

pytestmark = pytest.mark.e2e

PERIOD = "?period=custom&start=2025-12-01&end=2026-01-31"


@pytest.fixture
def data(transactional_db, known, settings):  # noqa: F811
    settings.STATS_MIN_SAMPLE = 3
    refresh_rollups(now=NOW)
    return known


def test_public_statistics_page(page, live_server, data, shoot):
    page.goto(live_server.url + "/stats/" + PERIOD)
    assert page.get_by_role("heading", level=1).inner_text() == "Статистика рассмотрения сообщений"
    assert page.get_by_role("img", name="Поступило сообщений и дано ответов по неделям").is_visible()
    assert page.get_by_role("heading", name="Организации-исполнители").is_visible()
    page.get_by_text("Данные графика таблицей").first.click()
    assert page.get_by_role("rowheader", name="01.12–07.12.2025").first.is_visible()
    shoot("stats-public")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    # the period form is keyboard usable and reports errors next to the field
    page.get_by_label("Период", exact=True).select_option("custom")
    page.get_by_label("С даты").fill("2026-02-01")
    page.get_by_label("По дату").fill("2026-01-01")
    page.get_by_role("button", name="Показать").click()
    assert page.get_by_text("Последняя дата не может быть раньше первой.").is_visible()
    assert page.get_by_label("По дату").get_attribute("aria-invalid") == "true"


def _log_in(page, live_server, user):
    """A session made by Django's test client, handed to the browser (the login form is not under test)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_staff_statistics_and_drilldown(page, live_server, data, supervisor, shoot):
    _log_in(page, live_server, supervisor)
    page.goto(live_server.url + "/office/stats/" + PERIOD)
    assert page.get_by_role("heading", level=1).inner_text() == "Статистика для сотрудников"
    shoot("stats-staff")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    summary = page.locator("#table-summary").locator("xpath=..").locator("..")
    summary.get_by_role("row", name="Рассмотрено с нарушением срока").get_by_role("link").click()
    page.wait_for_url("**/office/stats/messages/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Рассмотренные с нарушением срока"
    assert page.get_by_role("link", name=f"№ {data['M2'].number}").is_visible()
    assert page.get_by_role("link", name=f"№ {data['M7'].number}").is_visible()
    shoot("stats-drilldown")
