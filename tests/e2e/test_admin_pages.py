"""Issue 18.5 in the browser: the topic changelist fits 1,366 px without sideways scrolling, in proper Russian,
with the favicon; the back-office menu links the staff statistics. Shots at phone and desktop size."""

from pathlib import Path

import pytest

from tests.e2e.test_accessibility import SIZES
from tests.e2e.test_backoffice import login_as

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/a11y18")


def _shots(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)


def test_topic_changelist_fits_the_desktop(page, live_server, reference_data, admin_user):
    login_as(page, live_server, admin_user)
    page.set_viewport_size(SIZES["desktop"])
    page.goto(live_server.url + "/admin/directory/topic/")
    assert page.get_by_role("heading", level=1).inner_text() == "Выберите тему для изменения"
    assert page.locator("p.paginator").inner_text().strip().endswith("тем")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).status == 200
    assert page.request.get(live_server.url + "/favicon.ico").status == 200  # followed to the static icon
    _shots(page, "admin-topics")
    from directory.models import Topic

    topic = (
        Topic.objects.get(key="roads")
        if Topic.objects.filter(key="roads").exists()
        else Topic.objects.first()
    )
    page.goto(f"{live_server.url}/admin/directory/topic/{topic.pk}/change/")
    assert page.get_by_role("heading", level=1).inner_text() == "Изменить тему"
    page.set_viewport_size(SIZES["desktop"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    _shots(page, "admin-topic-change")
    page.goto(live_server.url + "/admin/directory/category/add/")
    _shots(page, "admin-category-add")
    page.goto(live_server.url + "/admin/")
    _shots(page, "admin-index")


def test_back_office_menu_links_the_statistics(page, live_server, moderator):
    login_as(page, live_server, moderator)
    page.goto(live_server.url + "/office/")
    page.get_by_role("link", name="Статистика", exact=True).click()
    page.wait_for_url("**/office/stats/")
    assert page.get_by_role("link", name="Статистика", exact=True).get_attribute("aria-current") == "page"
    _shots(page, "office-stats")
    page.goto(live_server.url + "/office/")
    _shots(page, "office-home")
