"""Issue 18 in a real browser: the phone header folds its menus behind «Меню» (with and without JavaScript)."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def fresh_cache(transactional_db):
    cache.clear()
    yield
    cache.clear()


def _menu_link(page):
    return page.get_by_role("navigation", name="Основное меню").get_by_role("link", name="Статистика")


def test_phone_menu_folds_behind_a_button_with_aria_expanded(page, live_server, fresh_cache):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    lookup = page.get_by_role("textbox", name="Найти сообщение по номеру")
    assert lookup.is_visible()  # the number lookup stays one tap away
    assert not _menu_link(page).is_visible()
    toggle = page.get_by_role("button", name="Меню")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#menu-toggle").count() == 0  # the no-JS checkbox is replaced
    # The whole header (brand, button, lookup) fits in the top 200 px of the first screen.
    assert page.locator("header.site-header").bounding_box()["height"] < 200
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert _menu_link(page).is_visible()
    assert page.get_by_role("link", name="Войти").is_visible()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not _menu_link(page).is_visible()
    toggle.click()
    _menu_link(page).click()
    page.wait_for_url("**/stats/")


def test_desktop_shows_the_menu_without_a_button(page, live_server, fresh_cache):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/")
    assert _menu_link(page).is_visible()
    assert not page.get_by_role("button", name="Меню").is_visible()
    assert page.get_by_text("Найти сообщение по номеру").is_visible()


@pytest.fixture
def nojs_page(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    yield context.new_page()
    context.close()


def test_phone_menu_works_without_javascript(nojs_page, live_server, fresh_cache):
    page = nojs_page
    page.goto(live_server.url + "/")
    assert not _menu_link(page).is_visible()
    toggle = page.get_by_role("checkbox", name="Меню")
    toggle.focus()  # keyboard: the checkbox takes the focus and Space opens the menu
    page.keyboard.press("Space")
    assert _menu_link(page).is_visible()
    page.keyboard.press("Space")
    assert not _menu_link(page).is_visible()
    page.get_by_text("Меню", exact=True).click()  # the label is the visible button
    _menu_link(page).click()
    page.wait_for_url("**/stats/")
