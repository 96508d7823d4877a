"""Issue 13.6 and 13.9 in the browser: the control view (§9) and the «Кто что обрабатывает» page on the
real Appendix 2, at phone and desktop width."""

from pathlib import Path

import pytest
import time_machine

from tests.e2e.test_backoffice import login_as
from tests.factories import UserFactory
from tests.stats.test_control import NOW, may  # noqa: F401 — the hand-built May 2026 scenario

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots/r13d")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def _shots(page, shoot, name):
    shoot(name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)


def test_control_view_in_the_browser(page, live_server, shoot, may, supervisor):  # noqa: F811
    """§9: the monitors open «Контроль сроков» from the navigation, pick May 2026 and read the tables."""
    with time_machine.travel(NOW, tick=True):
        login_as(page, live_server, supervisor)
        page.goto(live_server.url + "/office/")
        page.get_by_role("link", name="Контроль сроков").click()
        page.get_by_label("Период", exact=True).select_option("month")
        page.get_by_label("Дата внутри периода").fill("2026-05-15")
        page.get_by_role("button", name="Показать").click()
        page.wait_for_load_state()
        assert "Май 2026 года" in page.content()
        officials = page.locator('table[data-table="officials"]')
        assert officials.locator("tr.control-total").count() == 1
        overdue = page.locator('table[data-table="overdue"] tbody tr')
        assert overdue.count() == 3
        assert "регистрация (§5.4)" in overdue.first.inner_text()
        _shots(page, shoot, "office-control")


def test_who_handles_what_in_the_browser(page, live_server, shoot, reference_data):
    """Appendix 2: the page names the two categories only the monitors moderate and row 26."""
    root = UserFactory(email="root@city.ru", is_staff=True, is_superuser=True)
    login_as(page, live_server, root)
    page.goto(live_server.url + "/admin/directory/category/coverage/")
    notes = page.locator("section.coverage-notes")
    text = notes.inner_text()
    assert "«Машина на газоне», «Другая проблема»" in text
    assert "Букин Олег Васильевич" in text and "ООО «Ремстройсервис»" in text
    assert "Пробелов нет" not in page.content()
    _shots(page, shoot, "office-admin-coverage-appendix2")
