"""Issue 18 in a real browser: the phone header folds its menus behind «Меню» (with and without JavaScript)."""

import re

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


# --- 18.3 feedback where the eye is ---------------------------------------------------------------


def _as(page, live_server, user):
    from tests.e2e.test_backoffice import login_as

    login_as(page, live_server, user)


def test_refused_rating_focuses_and_shows_the_error_summary(
    page, live_server, citizen, moderator, executor, category
):
    from tests.factories import answered

    message = answered(citizen, category, moderator, executor)
    page.set_viewport_size(PHONE)
    _as(page, live_server, citizen)
    page.goto(f"{live_server.url}/m/{message.number}/")
    page.get_by_label("Ответ меня не устраивает").check()
    page.get_by_role("button", name="Отправить оценку").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    box = summary.bounding_box()
    assert 0 <= box["y"] < PHONE["height"]  # in view, not 1,200 px below
    assert "§7.2" in summary.inner_text()


def test_photos_are_checked_in_the_browser_before_the_upload(page, live_server, citizen, category, tmp_path):
    from tests.factories import image_bytes

    _as(page, live_server, citizen)
    page.goto(f"{live_server.url}/submit/?category={category.key}")
    photos = []
    for i in range(5):
        path = tmp_path / f"yama-{i}.jpg"
        path.write_bytes(image_bytes("JPEG", size=(64, 48)))
        photos.append(str(path))
    page.set_input_files("#id_photos", photos)
    note = page.locator("#id_photos_client_error")
    assert "не более 4 фотографий, выбрано 5" in note.inner_text()
    assert page.locator("#id_photos").get_attribute("aria-invalid") == "true"
    page.get_by_label("Текст сообщения").fill("Яма во дворе")
    page.get_by_label("Место: адрес или ориентир").fill("ул. Ленина, 7")
    url = page.url
    page.get_by_role("button", name="Отправить сообщение").click()
    assert page.url == url  # nothing was uploaded
    assert page.evaluate("document.activeElement.id") == "id_photos"
    text = tmp_path / "akt.pdf"
    text.write_bytes(b"%PDF-1.4 nothing")
    page.set_input_files("#id_photos", [str(text)])
    assert "«akt.pdf» не подходит: можно приложить только фотографии JPEG, PNG или TIFF" in note.inner_text()
    page.set_input_files("#id_photos", photos[:4])
    assert not note.is_visible()
    assert page.locator("#id_photos").get_attribute("aria-invalid") is None


def test_text_counter_counts_and_announces_at_thresholds_only(page, live_server, citizen, category):
    _as(page, live_server, citizen)
    page.goto(f"{live_server.url}/submit/?category={category.key}")
    box = page.get_by_label("Текст сообщения")
    counter = page.locator("#id_text_count")
    live = page.locator('[data-counter-live="id_text"]')
    box.fill("Яма")
    assert counter.inner_text() == "Осталось 3997 знаков из 4000."
    assert live.inner_text() == ""  # far from the limit: nothing announced
    box.fill("я" * 3600)
    assert live.inner_text() == "Осталось 400 знаков из 4000."
    box.fill("я" * 4100)  # a paste is not cut: the counter says by how much it is over
    assert box.input_value() == "я" * 4100
    assert counter.inner_text() == "Превышено на 100 знаков: сократите текст до 4000 знаков."
    assert live.inner_text() == counter.inner_text()


def test_the_moderator_goes_on_to_the_next_message_in_the_queue(
    page, live_server, citizen, moderator, category
):
    from tests.factories import submit

    first = submit(citizen, category, text="Первая яма")
    second = submit(citizen, category, text="Вторая яма")
    _as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/m/{first.number}/")
    page.get_by_role("button", name=re.compile("^Зарегистрировать")).click()
    page.wait_for_url(f"**/office/m/{second.number}/")
    assert f"№ {first.number} зарегистрировано" in page.locator(".flash").inner_text()
    assert f"Следующее в очереди — № {second.number}" in page.locator(".flash").inner_text()
    page.get_by_role("button", name=re.compile("^Зарегистрировать")).click()
    page.wait_for_url("**/office/moderation/")
    assert "Очередь пуста" in page.locator(".flash").inner_text()


# --- 18.2 the back-office header on a phone ---------------------------------------------------------


def _office_link(page, name="Просрочки"):
    return page.get_by_role("navigation", name="Меню рабочего места").get_by_role("link", name=name)


def _shot(page, name):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"issue18-{name}.png"), full_page=True)


def test_office_phone_menu_folds_behind_a_button(page, live_server, supervisor):
    _as(page, live_server, supervisor)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/office/")
    _shot(page, "office-home-phone")
    assert not _office_link(page).is_visible()
    # Brand, button and the «who» line take the top of the first screen, not all of it.
    assert page.locator("header.site-header").bounding_box()["height"] < 200
    assert page.get_by_role("heading", level=1).bounding_box()["y"] < 300
    toggle = page.get_by_role("button", name="Меню")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "office-menu"
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert _office_link(page).is_visible()
    assert page.get_by_role("button", name="Выйти").is_visible()
    _shot(page, "office-home-phone-menu")
    page.keyboard.press("Tab")  # the keyboard goes from the button into the open menu
    assert page.evaluate("document.activeElement.closest('#office-menu') !== null")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == "office-menu"
    assert not _office_link(page).is_visible()
    toggle.click()
    _office_link(page).click()
    page.wait_for_url("**/office/overdue/")
    assert not _office_link(page).is_visible()  # folded again on the next page


def test_office_desktop_shows_the_menu_without_a_button(page, live_server, supervisor):
    _as(page, live_server, supervisor)
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/office/")
    _shot(page, "office-home-desktop")
    assert _office_link(page).is_visible()
    assert _office_link(page, "Статистика").is_visible()
    assert not page.get_by_role("button", name="Меню").is_visible()


def test_office_phone_menu_works_without_javascript(nojs_page, live_server, supervisor):
    page = nojs_page
    _as(page, live_server, supervisor)
    page.goto(live_server.url + "/office/")
    assert not _office_link(page).is_visible()
    toggle = page.get_by_role("checkbox", name="Меню")
    toggle.focus()
    page.keyboard.press("Space")
    assert _office_link(page).is_visible()
    page.keyboard.press("Space")
    assert not _office_link(page).is_visible()
    page.get_by_text("Меню", exact=True).click()
    _office_link(page).click()
    page.wait_for_url("**/office/overdue/")
